"""Inside the network: how the recurrent cells compute, shown on the bundled models (the "Inside the network" tab)."""
