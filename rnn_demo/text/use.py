"""The "## Use" section of the text model cards (usage.py lays it out): the package's way, and PyTorch alone."""
from __future__ import annotations

from ..plugin import Use
from ..usage import LOAD

PLAIN = LOAD.replace("IMPORTS", "") + '''\
vocab = config["vocab"]
embed = torch.nn.Embedding(len(vocab), config["embedding_dim"])
rnn = Cell(config["embedding_dim"], config["hidden_size"], config["num_layers"], batch_first=True)
head = torch.nn.Linear(config["hidden_size"], len(vocab))
for name, module in (("embed.", embed), ("backbone.rnn.", rnn), ("head.", head)):
    module.load_state_dict({k[len(name):]: v for k, v in weights.items() if k.startswith(name)})

prompt = "ROMEO:\\n"  # the plays' layout: a speaker's name on a line of its own, then the speech
read = "\\n\\n" + prompt  # after a blank line, as every speech: from the zero state the first characters read worse
ids = torch.tensor([[vocab.index(c) if c in vocab else 0 for c in read]])  # 0: "<unk>"
with torch.no_grad():
    outputs, state = rnn(embed(ids))  # (1, time, hidden); `state` goes on with the next character
    probs = torch.softmax(head(outputs[0, -1]), -1)  # (vocab,): the next character
for p, i in zip(*probs.topk(5)):
    print(repr(vocab[i]), round(p.item(), 3))
'''

LIMITATIONS = """\
Trained on Shakespeare's plays alone (the protocol's 35 training plays: 34 learnt from, 1 held out to choose the
checkpoint; its figure is on the 3 validation plays, in the arithmetic the app serves: int8 weights on a CPU). It
writes pastiche of their verse and prose character by character, and knows no facts; a character outside its
vocabulary is read as unknown. Its figure is measured with at least 256 characters of context carried in its state
(the text's first 256 characters, scored too, have less);
a prompt is read after a blank line (the package does it; the snippet above too), as each speech in the plays
follows one: from the zero state, which training never used, the first characters read far worse, most of all the
LSTM's. Prompts read best in the plays' layout: a speaker's name in capitals on a line of its own, then the speech.
A demonstration and teaching model, not a writing tool."""

USE = Use(PLAIN, package="""import torch
from rnn_demo.text.infer import Sampling, generate
from rnn_demo.text.model import CharLM
from rnn_demo.text.stepper import CharStepper

device = "cuda" if torch.cuda.is_available() else "cpu"  # it serves int8 weights on a CPU, float32 on a GPU
stepper = CharStepper(CharLM.from_pretrained("REPO", map_location=device))
print("".join(generate(stepper, "ROMEO:\\n", Sampling(max_new_chars=300, temperature=0.8, seed=1))))""",
          command='rnn-demo generate --model REPO --prompt "ROMEO:"',
          limitations=LIMITATIONS,
          command_does='generate',
          config_fields={
              "vocab": "the characters the model knows, in the order of their ids (the embedding's rows and the "
                       "head's outputs); id 0, `<unk>`, stands for any other character",
              "embedding_dim": "the size of each character's embedding, the first recurrent layer's input"})
