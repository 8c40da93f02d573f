"""The gradient lab: small recurrent networks trained live on problems that need a long memory, with every time
step's gradient measured, to watch gradients vanish and explode and see what gates and clipping do."""
