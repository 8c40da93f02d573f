"""The "## Use" section of the sentiment model cards (usage.py lays it out): the package's way, and PyTorch alone."""
from __future__ import annotations

from ..plugin import Use
from ..usage import LOAD

PLAIN = LOAD.replace("IMPORTS", "from tokenizers import Tokenizer\n") + '''\
tokenizer = Tokenizer.from_file(f"{folder}/tokenizer.json")
embed = torch.nn.Embedding(config["vocab_size"], config["embedding_dim"])
rnn = Cell(config["embedding_dim"], config["hidden_size"], config["num_layers"], batch_first=True,
           bidirectional=config["bidirectional"])
head = torch.nn.Linear(config["hidden_size"] * (2 if config["bidirectional"] else 1), len(config["labels"]))
for name, module in (("embed.", embed), ("backbone.rnn.", rnn), ("head.", head)):
    module.load_state_dict({k[len(name):]: v for k, v in weights.items() if k.startswith(name)})

review = ("A moving story, wonderfully acted. The two leads are superb, the script is sharp and funny, and the "
          "last half hour had the whole audience in tears. I was never bored for a minute.")
ids = torch.tensor([tokenizer.encode(review).ids[:config["max_tokens"]]])  # one review a call: padded in a batch, the
# backward direction would start in the padding and the max would pool it (mask it: the package's ReviewClassifier)
assert ids.shape[1], "no token left once cleaned (an empty review, a link alone): nothing to classify"
with torch.no_grad():
    outputs, _ = rnn(embed(ids))  # (1, tokens, hidden * directions)
    probs = torch.softmax(head(outputs.amax(1))[0], -1)  # max over the tokens, then the head: (labels,)
print(dict(zip(config["labels"], probs.tolist())))
'''

LIMITATIONS = """\
An English movie-review classifier with two labels, positive and negative, and no neutral. It learned from IMDB
reviews as the protocol's pinned repackaging of IMDB 50K holds them; its test figure is on that set's 9,941 held-out
reviews, not IMDB's usual 25,000-review test split, so it does not compare directly with published results. Other
domains (products, hotels), other languages, sarcasm, negation in short texts ("Not bad." reads as negative) and
short idioms read less well: the short-text figure above shows how much. A confident verdict is not a correct one;
not for decisions about people."""

MAAS_2011 = """\
@inproceedings{maas2011,
  author = {Maas, Andrew L. and Daly, Raymond E. and Pham, Peter T. and Huang, Dan and Ng, Andrew Y. and
            Potts, Christopher},
  title = {Learning Word Vectors for Sentiment Analysis},
  booktitle = {Proceedings of the 49th Annual Meeting of the Association for Computational Linguistics},
  year = {2011},
  pages = {142--150},
  url = {https://aclanthology.org/P11-1015}
}"""

USE = Use(PLAIN, package="""from rnn_demo.sentiment.cli import load_classifier
from rnn_demo.sentiment.infer import classify_reviews

model, tokenizer = load_classifier("REPO", "cpu")  # a Hub id, or a folder holding its files ("cuda" on a GPU)
review = ("A moving story, wonderfully acted. The two leads are superb, the script is sharp and funny, and the "
          "last half hour had the whole audience in tears. I was never bored for a minute.")
print(classify_reviews(model, tokenizer, [review]))  # one {label: probability} per review""",
          command='rnn-demo evaluate sentiment --model REPO', extras=", `tokenizers`", limitations=LIMITATIONS,
          command_does="score it on the protocol's test split", cite=MAAS_2011,
          config_fields={
              "vocab_size": "how many token ids there are: `tokenizer.json`, beside the weights, maps a review's words "
                            "to them; id 0 is padding, which a batch must mask (packed sequences, and no max over it)",
              "embedding_dim": "the size of each token's embedding, the first recurrent layer's input",
              "bidirectional": "whether the recurrent layers read the review backwards too (the two directions' "
                               "outputs side by side)",
              "labels": "the classes, in the order of the head's outputs",
              "max_tokens": "the most tokens read of a review: a longer one is cut to its first `max_tokens`"})
