"""The sentiment task on small literal inputs and tiny models: data rules, tokenizer, model, training pieces."""
import json
import math

import pytest
import torch

from rnn_demo.hub import MODELS_DIR
from rnn_demo.sentiment.data import LABELS, load_reviews, reviews_dataset, split_of, unique_rows
from rnn_demo.sentiment.evaluate import classification_report
from rnn_demo.sentiment.infer import (classify_reviews, colours_note, explain_review, pad_batch, predict_ids,
                                     review_spans)
from rnn_demo.sentiment.model import ReviewClassifier, SentimentConfig
from rnn_demo.sentiment.tokenizer import (MOST_CHARS, encode_batch, first_tokens, load_tokenizer, train_tokenizer,
                                         unsafe_part)
from rnn_demo.sentiment.train import ReviewTask, bucketed_batches

REVIEWS = [
    ("A wonderful, moving film.<br /><br />The acting is superb.", "positive"),
    ("Dull and far too long. I wanted my money back.", "negative"),
    ("Superb acting and a moving story; wonderful.", "positive"),
    ("Terrible script, dull acting, boring.", "negative"),
]


def tiny_classifier(cell: str = "gru", bidirectional: bool = True) -> ReviewClassifier:
    torch.manual_seed(0)
    config = SentimentConfig(vocab_size=50, cell=cell, embedding_dim=8, hidden_size=16, bidirectional=bidirectional,
                             dropout=0.0)
    return ReviewClassifier(config).eval()


def test_duplicates_dropped_keeping_the_first():
    rows = [("a", "positive"), ("b", "negative"), ("a", "negative")]
    assert unique_rows(rows) == [("a", "positive"), ("b", "negative")]


def test_split_rule_is_the_protocol_hash():
    import hashlib

    for review, _ in REVIEWS + [(f"review {i}", "") for i in range(200)]:
        is_test = int(hashlib.sha1(review.encode("utf-8")).hexdigest(), 16) % 5 == 0
        assert (split_of(review) == "test") == is_test


def test_reviews_dataset_labels_and_splits():
    rows = REVIEWS + [(f"review number {i}", LABELS[i % 2]) for i in range(100)]
    dataset = reviews_dataset(rows)
    assert sum(len(split) for split in dataset.values()) == len(rows)
    assert 5 <= len(dataset["test"]) <= 40 and 1 <= len(dataset["selection"]) <= 20
    assert set(dataset["train"]["label"]) == {0, 1}
    with pytest.raises(ValueError, match="negative, positive"):
        reviews_dataset([("x", "meh")])


def test_local_csv_with_named_columns_and_label_names(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("id,body,verdict\n" + "".join(f'{i},"review {i} text",{LABELS[i % 2]}\n' for i in range(60)))
    dataset = load_reviews(str(path), text_column="body", label_column="verdict")
    assert set(dataset) >= {"train", "selection"} and dataset["train"].column_names == ["text", "label"]
    assert len(dataset["train"]) + len(dataset["selection"]) == 60
    with pytest.raises(ValueError, match="no column 'stars'.*id, body, verdict"):
        load_reviews(str(path), text_column="body", label_column="stars")


def test_tokenizer_handles_line_breaks_case_and_unknown_words():
    tokenizer = train_tokenizer([r for r, _ in REVIEWS] * 3, vocab_size=100)
    encoding = tokenizer.encode("WONDERFUL film.<br />Zyzzyva;")
    assert encoding.tokens == ["wonderful", "film", ".", "<unk>", ";"]
    assert "br" not in tokenizer.get_vocab() and tokenizer.token_to_id("<pad>") == 0
    assert encode_batch(tokenizer, ["dull dull dull dull"], max_tokens=2) == [[tokenizer.token_to_id("dull")] * 2]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_padding_never_changes_a_prediction(cell, bidirectional):
    model = tiny_classifier(cell, bidirectional)
    review = [5, 9, 3, 7, 2]
    alone = predict_ids(model, [review])
    with_longer = predict_ids(model, [review, list(range(2, 40)), [4] * 25])
    assert torch.allclose(alone[0], with_longer[0], atol=1e-6)


def test_forward_contract_and_loss():
    model = tiny_classifier()
    ids = pad_batch([[3, 4, 5], [6, 7]])
    assert ids.tolist() == [[3, 4, 5], [6, 7, 0]]
    logits, state, loss = model(ids, targets=torch.tensor([1, 0]))
    assert logits.shape == (2, 2) and state is None and loss.ndim == 0  # a training step: no final state
    logits_again, state, no_loss = model(ids)
    assert state.shape == (2, 2, 16) and no_loss is None
    model.eval()
    with torch.no_grad():
        _, _, packed_loss = model(ids, targets=torch.tensor([1, 0]))
    assert torch.allclose(model(ids, targets=torch.tensor([1, 0]))[2], packed_loss, atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_classify_gives_the_forwards_logits_by_the_faster_way(cell):
    """Many reviews go through `classify`: an LSTM batch padded by less than a quarter of its positions runs unpacked
    (oneDNN's fused LSTM on the CPU), the rest packed, with the forward's logits either way."""
    model = tiny_classifier(cell, True).eval()
    alike, uneven = pad_batch([[3, 4, 5, 6], [6, 7, 8, 9], [5, 5, 6]]), pad_batch([[3, 4, 5, 6, 7, 8, 9, 3], [6], [7]])
    with torch.inference_mode():
        for ids, unpacked in ((alike, cell == "lstm"), (uneven, False)):
            lengths = (ids != 0).sum(1)
            assert model.backbone.faster_unpacked(model.embed(ids), lengths) == unpacked
            assert torch.allclose(model.classify(ids), model(ids)[0], atol=1e-6)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_the_deletion_check_does_not_depend_on_how_the_reviews_are_batched(cell):
    """The reviews go sorted by length in batches (reviews_per_batch on the CPU); each one's random words are drawn
    in the reviews' order, so one at a time, a few at a time and the default give the same figures."""
    from rnn_demo.sentiment.faithfulness import deletion_check

    tokenizer = train_tokenizer([r for r, _ in REVIEWS] * 3, vocab_size=50)
    words = " ".join(r for r, _ in REVIEWS).split()
    texts = [" ".join((words * 9)[i: i + 20 + 13 * (i % 4)]) for i in range(11)]  # 20 to 59 words, unsorted
    model = tiny_classifier(cell)
    figures = [deletion_check(model, tokenizer, texts, batch_size=size) for size in (1, 4, None)]
    assert figures[0]["reviews"] == len(texts) and figures[0]["margin_drop_top_k"] != 0
    assert figures[0] == figures[1] == figures[2]


def test_bucketed_batches_cover_each_review_once_per_epoch():
    lengths = [i % 37 for i in range(1000)]
    batches = bucketed_batches(lengths, 16, torch.Generator().manual_seed(0))
    flat = [i for batch in batches for i in batch]
    assert len(flat) == len(set(flat)) >= 1000 - 16 * 2 and all(len(b) == 16 for b in batches)
    assert max(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) < 10


def test_review_task_is_deterministic_by_step():
    ids = [[2 + i % 5] * (1 + i % 9) for i in range(200)]
    labels = [i % 2 for i in range(200)]
    task = ReviewTask(ids, labels, ids[:20], labels[:20], batch_size=8, device=torch.device("cpu"))
    again = ReviewTask(ids, labels, ids[:20], labels[:20], batch_size=8, device=torch.device("cpu"))
    for step in (0, 5, task.steps_per_epoch + 3):
        assert torch.equal(task.batch(step)[0], again.batch(step)[0])
    assert 0.0 <= task.selection_loss(tiny_classifier()) <= 1.0


def test_classification_report():
    report = classification_report([1, 1, 0, 0], [1, 0, 0, 0], 2)
    assert report["accuracy"] == 0.75 and report["confusion"] == [[2, 1], [0, 1]]
    assert report["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)


@pytest.mark.parametrize("cell, bidirectional", [("rnn", True), ("gru", True), ("lstm", True), ("gru", False)])
def test_contributions_split_the_margin_exactly(cell, bidirectional):
    model = tiny_classifier(cell, bidirectional)
    ids = pad_batch([[5, 9, 3, 7, 2], list(range(2, 30))])
    logits, contributions = model.explain(ids)
    assert torch.allclose(logits, model(ids)[0])
    bias = model.head.bias[1] - model.head.bias[0]
    assert torch.allclose(contributions.sum(1) + bias, logits[:, 1] - logits[:, 0], atol=1e-5)
    assert torch.all(contributions[0, 5:] == 0)  # padding contributes nothing


def test_review_spans_cover_the_text_and_elide_the_unread_rest():
    text = "Great  film<br />really."
    spans = review_spans(text, [(0, 5), (7, 11), (17, 23)], [1.0, 0.5, -0.2])
    assert "".join(piece for piece, _ in spans) == text
    assert spans == [("Great", 1.0), ("  ", None), ("film", 0.5), ("<br />", None), ("really", -0.2), (".", None)]
    long = review_spans("good " + "x" * 5000, [(0, 4)], [1.0], shown_chars=10)
    assert long[-1][0].endswith("(4,991 more characters, not read)")
    # NFKC reads ½ as 1⁄2: three tokens over one character, shown once ("3½½½" before), with the largest score
    assert review_spans("3½ stars", [(0, 2), (1, 2), (1, 2), (3, 8)], [0.1, -0.4, 0.2, 0.3]) == [
        ("3½", -0.4), (" ", None), ("stars", 0.3)]
    # accents written apart from their letters (NFD: macOS), and an emoji's variation selector, keep their word's
    # colour (the accent showed uncoloured, in the gap after "cafe")
    assert review_spans("cafe\u0301 re\u0301sume\u0301 \u2764\ufe0f", [(0, 4), (6, 13), (15, 16)], [0.5, 0.2, 0.9]) == [
        ("cafe\u0301", 0.5), (" ", None), ("re\u0301sume\u0301", 0.2), (" ", None), ("\u2764\ufe0f", 0.9)]


def test_a_rewritten_rating_is_coloured_whole():
    """The tokens of a rating read as 8/10 carry the offsets of its last character: its others, which no token
    covers, are coloured with it (only the 5 of 4/5 was); a gap between ordinary words stays uncoloured."""
    text = "A fun ride. 4 / 5 and \u2605\u2605\u2605\u2605\u00bd, 2 hours"
    offsets = [(0, 1), (2, 5), (6, 10), (10, 11), (16, 17), (16, 17), (18, 21), (26, 27), (27, 28), (29, 30), (31, 36)]
    spans = review_spans(text, offsets, [0.1] * 11)
    assert "".join(piece for piece, _ in spans) == text
    assert ("4 / 5", 0.1) in spans and ("\u2605\u2605\u2605\u2605\u00bd", 0.1) in spans and ("2", 0.1) in spans
    assert (" ", None) in spans and spans[:3] == [("A", 0.1), (" ", None), ("fun", 0.1)]
    out_of = "Solid: 3,5 Out of 5 stars, 2 out of 5 dentists"  # the words of a rating too; a count's are its own
    five = out_of.index("5 stars")
    offsets = [(0, 5), (5, 6), (five, five + 1), (five, five + 1), (five + 2, five + 7), (five + 7, five + 8),
               (27, 28), (29, 32), (33, 35), (36, 37), (38, 46)]
    spans = review_spans(out_of, offsets, [0.1] * 11)
    assert "".join(piece for piece, _ in spans) == out_of
    assert ("3,5 Out of 5", 0.1) in spans and ("2", 0.1) in spans and ("out", 0.1) in spans


@pytest.mark.parametrize("theirs, ours", [
    ("I lo\u00adved it, won\u200bder\u2060ful.", "I loved it, wonderful."),  # copied from a web page
    ("Don\u2019t miss \u201cTitanic\u201d", 'Don\'t miss "Titanic"'),  # a phone's or Word's quotes
    ("wouldn&#39;t &amp;#039;it&apos;s &quot;ok&quot; &rsquo; &#X27;", 'wouldn\'t \'it\'s "ok" \' \''),  # HTML's
    ("Tom &amp; Jerry<BR>Great<Br/>&lt;br /&gt;film", "Tom & Jerry Great film"),
    # a second round: links, IMDb's lines around a copied review, HTML and forum markup, entities, escaped breaks
    ("Loved it! Full review: https://letterboxd.com/u/film/x/ www.imdb.com/title/tt1", "Loved it! Full review:"),
    ("Loved every minute of it. 45 out of 52 found this helpful. Was this review helpful? Sign in to vote. Permalink",
     "Loved every minute of it."),
    ("Loved every minute of it.\n\nHelpful\u202245\n\n7\nReport", "Loved every minute of it."),
    ("<p>It was <i>great</i>, <a href=\"x\">really</a></p>", "It was great, really"),
    ("[spoiler]he dies[/spoiler] [B]wow[/b] [color=red]!![/color]", "he dies wow !!"),
    ("clich&eacute;d&hellip; &mdash; the film&#x2019;s&nbsp;end", "clichéd... - the film's end"),
    ("great\\nLoved it\\r\\nagain", "great Loved it again"),
    # a third round: ratings out of 5 as IMDB's out of 10, stars as Letterboxd writes them; what is no rating kept
    ("A fun ride. 4/5", "A fun ride. 8/10"), ("Solid: 3,5 out of 5 stars.", "Solid: 7/10 stars."),
    ("\u2605\u2605\u2605\u2605\u00bd loved it", "9/10 loved it"), ("\u2605\u2605\u2606\u2606\u2606 meh", "4/10 meh"),
    ("\u2b50\ufe0f\u2b50\ufe0f\u2b50\ufe0f\u2b50\ufe0f\u2b50\ufe0f", "10/10"), ("0/5, 5.0 / 5", "0/10, 10/10"),
    ("on 4/5/2024, 1/5th of it, 10/5, 2.5/5.5", "on 4/5/2024, 1/5th of it, 10/5, 2.5/5.5"),
    ("4\u00bd/5, 4 1/2 out of 5, 4.5 out of 5.0", "9/10, 9/10, 9/10"), ("4/5 Great film", "8/10 Great film"),
    ("\u2605 \u2605 \u2605 \u2605 \u2605 Wonderful.", "10/10 Wonderful."),  # spaced stars: one rating
    # what is no rating out of 5 (a red team's): a count, a part, a date before a word, ten stars, six
    ("Won 4/5 awards. (Part 1/5) On 1/5 we went. 2 out of 5 dentists",
     "Won 4/5 awards. (Part 1/5) On 1/5 we went. 2 out of 5 dentists"),
    ("\u2605\u2605\u2605\u2606\u2606\u2606\u2606\u2606\u2606\u2606 \u2605\u2605\u2605\u2605\u2605\u2605",
     "\u2605\u2605\u2605\u2606\u2606\u2606\u2606\u2606\u2606\u2606 \u2605\u2605\u2605\u2605\u2605\u2605"),
])
def test_text_from_other_sites_is_read_as_imdbs_reviews_are_written(theirs, ours):
    tokenizer = load_tokenizer(MODELS_DIR / "sentiment-gru")
    assert tokenizer.encode(theirs).tokens == tokenizer.encode(ours).tokens
    assert _trained_tokenizer().encode(theirs).tokens == _trained_tokenizer().encode(ours).tokens  # a new model's too
    offsets = tokenizer.encode(theirs).offsets  # still into the text as typed
    assert all(0 <= start < end <= len(theirs) for start, end in offsets)


def test_the_rating_steps_are_bounded_and_match_nothing_another_writes():
    """A Replace step that lengthens a text must not be chained into a blow-up (a visitor's tokenizer may repeat the
    app's steps): read twice, every text reads as once; a text of lone stars grows six times, no more."""
    from tokenizers import Regex, normalizers

    from rnn_demo.sentiment.tokenizer import CLEANUP

    def reader(steps):
        return normalizers.Sequence([normalizers.Replace(Regex(step["pattern"]["Regex"]), step["content"])
                                     for step in steps])

    once, twice = reader(CLEANUP), reader(CLEANUP * 2)
    for text in ["4/5", "3.5 out of 5.", "\u2605\u2605\u2605\u00bd\u2606", "\u2b50\ufe0f" * 5, "5/5 10/10 0/5",
                 "\u2605 \u2605 \u2605", "4 1/2 out of 5!"]:
        assert twice.normalize_str(text) == once.normalize_str(text), text
    assert len(once.normalize_str("\u2605 x " * 1000)) == 9 * 1000  # each "★ x " (4 characters) as " 2/10  x " (9)
    assert once.normalize_str("\u2605 " * 1000) == "\u2605 " * 1000  # a run of a thousand stars is no rating out of 5


def _trained_tokenizer():
    return train_tokenizer([r for r, _ in REVIEWS] * 3, vocab_size=100)


def test_a_review_with_no_token_left_gets_no_prediction_and_never_spoils_the_weights():
    """A review that is a link alone, or markup, has no token once cleaned: its max-pool was over nothing (-inf), its
    logits NaN (labelled "negative" with NaN probabilities), and one training step on it made every weight NaN."""
    from rnn_demo.sentiment.infer import NOTHING_LEFT, classify_reviews, classify_reviews_noted

    model, tokenizer = tiny_classifier(), _trained_tokenizer()
    texts = ["https://www.imdb.com/title/tt0111161/", "a superb film", "<i></i> [spoiler][/spoiler]"]
    assert [bool(p) for p in classify_reviews(model, tokenizer, texts)] == [False, True, False]
    noted = classify_reviews_noted(model, tokenizer, texts)
    assert noted[0] == noted[2] == ({}, [NOTHING_LEFT]) and noted[1][0] == classify_reviews(model, tokenizer, texts)[1]
    with pytest.raises(ValueError, match="no words to read"):
        explain_review(model, tokenizer, texts[0])
    ids = torch.tensor([[5, 6, 7], [0, 0, 0]])  # the second row: nothing to read
    model.train()
    logits, _, loss = model(ids, targets=torch.tensor([1, 0]))
    assert torch.isfinite(logits).all() and torch.isfinite(loss)
    loss.backward()
    torch.optim.AdamW(model.parameters()).step()
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert torch.equal(model.eval()(ids[:1])[0], model(ids)[0][:1])  # the other rows as they are alone


def test_the_dressings_change_each_review_and_count_the_labels_that_change(monkeypatch):
    from rnn_demo.sentiment import dressed
    from rnn_demo.sentiment.infer import classify_reviews

    review = 'A superb film.<br />It\'s "moving" & never dull.'
    assert all(dress(review.replace("<br />", "\n")) != review.replace("<br />", "\n")
               for dress in dressed.DRESSINGS.values())
    model, tokenizer = tiny_classifier(), _trained_tokenizer()
    with torch.no_grad():  # the untrained model says "negative" to all, at 0.38 to 0.43: its boundary moved to 0.40
        model.head.bias[-1] += math.log(0.6 / 0.4)
    texts = [r for r, _ in REVIEWS]
    alone = [max(p, key=p.get) for p in classify_reviews(model, tokenizer, texts)]
    assert len(set(alone)) == 2, alone
    other = next(t for t, label in zip(texts, alone) if label != alone[0])  # the tiny model's other label
    monkeypatch.setattr(dressed, "DRESSINGS", {"as the first": lambda t: texts[0], "as another": lambda t: other})
    figures = dressed.dressed_flips(model, tokenizer, texts, [1] * len(texts))
    assert figures["dressings"]["as the first"]["flips"] == sum(label != alone[0] for label in alone)
    assert figures["dressings"]["as another"]["flips"] == sum(label == alone[0] for label in alone)
    assert figures["reviews"] == len(texts) and 0 <= figures["alone_accuracy"] <= 1


def test_explain_review_gives_probabilities_words_and_notes():
    model, tokenizer = tiny_classifier(), _trained_tokenizer()
    verdict = explain_review(model, tokenizer, "A superb, moving film.")
    assert set(verdict.probabilities) == {"negative", "positive"}
    assert sum(verdict.probabilities.values()) == pytest.approx(1.0)
    scored = [score for _, score in verdict.spans if score is not None]
    assert len(scored) == 6 and max(abs(s) for s in scored) == pytest.approx(1.0) and verdict.notes == []


def test_words_the_model_does_not_know_are_left_uncoloured_and_named():
    """Every unknown word is read as one and the same token: its colour would not be the word's own. Such words are
    uncoloured and named, with what they pushed towards together; the known words' strongest is still 1."""
    model, tokenizer = tiny_classifier(), _trained_tokenizer()
    verdict = explain_review(model, tokenizer, "A superb Kubrick film, moving Kubrick zzyzx.")
    assert [(piece, score) for piece, score in verdict.spans if piece in ("Kubrick", "zzyzx")] == [
        ("Kubrick", None), ("Kubrick", None), ("zzyzx", None)]
    scored = [score for _, score in verdict.spans if score is not None]
    assert len(scored) == 6 and max(abs(s) for s in scored) == pytest.approx(1.0)
    (note,) = [note for note in verdict.notes if "does not know" in note]
    assert note.startswith("3 words the model does not know (“Kubrick”, “zzyzx”) are left uncoloured: it reads every "
                           "such word as the same unknown token, so a colour would not be the word's own; together "
                           "they pushed towards *")


def test_the_shares_are_scaled_by_the_strongest_known_word_and_unknown_words_are_summed():
    from rnn_demo.sentiment.words import unknown_words_note, word_shares

    assert word_shares([0.5, -4.0, 1.0], [False, True, False]) == [0.5, -4.0, 1.0]
    assert word_shares([2.0, -4.0], [True, True]) == [0.5, -1.0]  # none known: every token's
    assert word_shares([0.0], [False]) == [0.0]
    text = "great Xq **Yq** Zq Wq"
    offsets, unknown = [(0, 5), (6, 8), (9, 15), (16, 18), (19, 21)], [False, True, True, True, True]
    note = unknown_words_note(text, offsets, [1.0, -0.5, -0.25, 0.0, 0.0], unknown, ["bad", "good"], shown=2)
    assert note == ("4 words the model does not know (“Xq”, “\\*\\*Yq\\*\\*” and 2 more) are left uncoloured: it "
                    "reads every such word as the same unknown token, so a colour would not be the word's own; "
                    "together they pushed towards *bad* (−0.75 times the strongest word's credit).")
    assert unknown_words_note("Xq", [(0, 2)], [0.001], [True], ["bad", "good"]).startswith("1 word the model does "
                                                                                             "not know (“Xq”) is left")
    assert unknown_words_note(text, offsets, [1.0] * 5, [False] * 5, ["bad", "good"]) is None


def test_the_colours_are_named_for_a_model_whose_labels_are_not_the_legends():
    """The words are credited with the last label's logit minus the first's: the legend's positive and negative for
    the bundled models; a model of other labels, or another order, is told in a note (its colours were backwards
    without a word for labels ["positive", "negative"])."""
    assert colours_note(["negative", "positive"]) is None and colours_note(["Negative", "Positive "]) is None
    assert colours_note(["positive", "negative"]) == ("For this model's labels, green words pushed the review towards "
                                                      "*negative*, red words towards *positive*.")
    assert colours_note(["bad", "ok", "*great*"]).endswith("towards *\\*great\\**, red words towards *bad* (the "
                                                           "labels between them are not weighed).")  # escaped
    model = tiny_classifier()
    model.config.labels = ["positive", "negative"]
    notes = explain_review(model, _trained_tokenizer(), "A superb, moving film.").notes
    assert notes == [colours_note(["positive", "negative"])]


@pytest.mark.parametrize("text, note", [
    ("Это был отличный фильм", "None of these words"),
    ("superb " * 1200, "only its first 1,000 tokens"),
    ("??? !!!", "no words, only punctuation or symbols"),
])
def test_unreadable_or_long_reviews_still_get_a_prediction_with_a_note(text, note):
    verdict = explain_review(tiny_classifier(), _trained_tokenizer(), text)
    assert sum(verdict.probabilities.values()) == pytest.approx(1.0)
    assert any(note in n for n in verdict.notes), verdict.notes


@pytest.mark.parametrize("text, note", [
    ("Ce film est une catastrophe, les acteurs sont mauvais et l'histoire est ennuyeuse. À éviter absolument.",
     "This does not read as English (8 of its 17 words are unknown to the model, and almost none are common English "
     "ones): the model was trained on English reviews, so the prediction means little."),  # gave none before
    ("De film was saai en veel te lang, zonde van mijn tijd.", "This does not read as English"),
    ("这部电影太好看了！", "None of these words are in the model's English vocabulary"),  # punctuation is no word
    ("Dieser Film war eine einzige Enttäuschung, die Handlung langweilig.", "6 of 9 words are unknown to the model"),
    ("Brilliant. Stunning visuals, powerful performances, unforgettable score. Masterpiece, truly.", None),
    ("Once upon a time in the west: a slow, beautiful western with a great score.", None),
    # short: no common English word, and a quarter of its words unknown, names aside (none of these had a note)
    ("Un film magnifique, je le recommande.", "This does not read as English (2 of its 6 words are unknown to the "
     "model, and none is a common English one): the model was trained on English reviews, so the prediction means "
     "little."),
    ("Eh oui, impossible n'est pas gaulois.", "This does not read as English"),  # a selection review's sentence
    ("I love Paul McCartney.", None),  # its unknown word is a name
    ("Great film, truly moving performances.", None),
    ("Superb.", None),  # too short to tell
])
def test_reviews_in_another_language_say_the_prediction_means_little(text, note):
    from rnn_demo.sentiment.infer import _word_notes

    tokenizer = load_tokenizer(MODELS_DIR / "sentiment-gru")
    notes = _word_notes(first_tokens(tokenizer, [text], 1000)[0], text, tokenizer.token_to_id("<unk>"))
    assert notes == [] if note is None else len(notes) == 1 and notes[0].startswith(note), notes


def test_a_one_megabyte_paste_is_read_up_to_the_cap_and_says_so():
    text = ("A superb film, moving and wonderful. " * 30_000)[:1_000_000]
    verdict = explain_review(tiny_classifier(), _trained_tokenizer(), text)
    assert sum(verdict.probabilities.values()) == pytest.approx(1.0)
    assert any("only its first 1,000 tokens were read" in note for note in verdict.notes), verdict.notes
    assert sum(score is not None for _, score in verdict.spans) == 1000
    shown = "".join(piece for piece, _ in verdict.spans)
    assert len(shown) < 10_000 and shown.endswith("more characters, not read)")  # the page is not sent 1 MB back


@pytest.mark.parametrize("text", [
    "superb film. " * 2_000,  # the prefix holds the first tokens at once
    "A moving film.<br /><br />Superb, " * 500,  # line breaks the normalizer replaces, near every cut
    ("w" * 15 + " ") * 95 + '<a title="' + "z " * 80 + '">' + "superb film " * 200,  # a tag open at the first cut
    ("x" * 40 + " ") * 1_000,  # long words: the prefix grows (16 characters a token at first) until it holds them
    "superb film",  # short: read whole
])
def test_the_first_tokens_are_those_of_the_whole_text(text):
    tokenizer = _trained_tokenizer()
    whole = tokenizer.encode(text)
    (first,) = first_tokens(tokenizer, [text], max_tokens=100)
    assert first.ids == whole.ids[:100] and first.offsets == whole.offsets[:100]
    assert first.cut == (len(whole.ids) > 100)


@pytest.mark.parametrize("text, empty", [
    ("https://example.com/" + "a" * 600, True),  # a link longer than the first look
    ("<br />" * 66 + '<a href="' + "x" * 190 + '">', True),  # a tag the first look cuts
    ("<br />" * 200, True),
    (" " * 600 + "superb", False),  # a word only past the first look
    ("https://example.com/" + "a" * 480 + " superb", False),  # a word right after a link cut by the first look
    ("superb", False),
    ("", True),
])
def test_nothing_to_read_answers_as_the_whole_cleaned_text_does(text, empty):
    """Read from a short prefix (a review's first word settles it), as the whole text would answer."""
    from rnn_demo.sentiment.tokenizer import UNK, _word_level, nothing_to_read

    assert not _word_level({UNK: 0}).encode(text).ids == empty
    assert nothing_to_read([text, "a film", text]) == [empty, False, empty]


def test_a_text_is_tokenized_from_a_bounded_prefix_and_says_it_was_cut():
    tokenizer = _trained_tokenizer()
    spaced = "superb " + " " * 10_000_000 + "film"  # 10 MB: its second word lies past what is ever read
    (first,) = first_tokens(tokenizer, [spaced], max_tokens=100)
    assert first.ids == [tokenizer.token_to_id("superb")] and first.cut
    verdict = explain_review(tiny_classifier(), tokenizer, spaced)
    assert any(f"only its first {MOST_CHARS:,} characters were read (of 10,000,011)" in n for n in verdict.notes)
    (many,) = first_tokens(tokenizer, ["superb film " * 1_000_000], max_tokens=100)  # 12 MB of words
    assert len(many.ids) == 100 and many.cut and many.offsets[-1][1] == 12 * 50 - 1


def test_a_lone_surrogate_is_read_as_a_replacement_character_and_said():
    verdict = explain_review(tiny_classifier(), _trained_tokenizer(), "superb \ud800 film")
    assert "".join(piece for piece, _ in verdict.spans) == "superb \ufffd film"
    assert any("1 of the review's characters is not valid Unicode" in note for note in verdict.notes), verdict.notes
    assert classify_reviews(tiny_classifier(), _trained_tokenizer(), ["superb \udfff film"])[0]


@pytest.mark.parametrize("text", ["", "   \n\t ", "\u200b", "\ufeff\u2060 \u200e"])  # zero-width and direction marks
def test_empty_review_is_a_clear_error(text):
    with pytest.raises(ValueError, match="empty"):
        explain_review(tiny_classifier(), _trained_tokenizer(), text)


def test_classify_reviews_keeps_order_and_empty_rows():
    model, tokenizer = tiny_classifier(), _trained_tokenizer()
    texts = ["superb film", "", "dull and boring, far too long", " \u200b "]
    results = classify_reviews(model, tokenizer, texts)
    assert len(results) == 4 and results[1] == {} and results[3] == {}
    alone = classify_reviews(model, tokenizer, [texts[2]])[0]
    assert results[2] == pytest.approx(alone, abs=1e-6)


def test_tfidf_baseline_chooses_c_on_selection_and_scores_test():
    from datasets import Dataset, DatasetDict

    from rnn_demo.sentiment.baseline import tfidf_baseline

    def split(n, offset):
        rows = [{"text": f"{'superb moving great' if i % 2 else 'dull boring awful'} film {i + offset}",
                 "label": i % 2} for i in range(n)]
        return Dataset.from_list(rows)

    result = tfidf_baseline(DatasetDict(train=split(40, 0), selection=split(10, 100), test=split(10, 200)),
                            c_grid=(0.01, 10.0))
    assert result["test_accuracy"] == 1.0 and set(result["selection_accuracy"]) == {0.01, 10.0}
    assert result["C"] == max(result["selection_accuracy"], key=result["selection_accuracy"].get)


def test_mcnemar_counts_the_disagreements_and_gives_the_exact_p_value():
    from rnn_demo.sentiment.evaluate import mcnemar

    labels = [1] * 100
    result = mcnemar([1] * 60 + [0] * 40, [0] * 60 + [1] * 40, labels)
    assert result == {"only_first_right": 60, "only_second_right": 40, "p_value": 0.0569}  # scipy binomtest: 0.05689
    assert mcnemar([1, 1, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1])["p_value"] == 0.25
    assert mcnemar([1, 0], [1, 0], [1, 1]) == {"only_first_right": 0, "only_second_right": 0, "p_value": 1.0}


def test_a_tokenizer_json_holds_only_what_this_app_runs_for_a_visitor():
    from rnn_demo.sentiment.tokenizer import CLEANUP

    ours = json.loads(_trained_tokenizer().to_str())
    assert unsafe_part(ours) is None  # what train_tokenizer writes (the bundled models' too) passes
    earlier = {"type": "Sequence", "normalizers": [*CLEANUP[:5], {"type": "NFKC"}, {"type": "Lowercase"}]}
    assert unsafe_part({**ours, "normalizer": earlier}) is None  # what it wrote before the second round's steps
    widest = {"type": "Sequence", "normalizers": [*CLEANUP, *[{"type": "NFKC"}] * 8]}
    assert unsafe_part({**ours, "normalizer": widest}) is None
    replace = {"type": "Replace", "pattern": {"String": "a"}, "content": "aaaaaaaaaa"}
    for crafted, problem in [
        ({"normalizer": {"type": "Sequence", "normalizers": [replace] * 6}}, "step 'Replace' is not one of"),
        ({"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}] * 9}}, "9 steps; the limit is 8"),
        ({"normalizer": {"type": "Sequence", "normalizers": [*CLEANUP, *[{"type": "NFKC"}] * 9]}},
         "the limit is 8 besides this app's Replace steps"),
        ({"normalizer": {"type": "Sequence", "normalizers": CLEANUP[5:6] * 50}}, "50 steps; the limit is 8"),
        ({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a+)+$"}}}, "step 'Split' is not one of"),
        ({"padding": {"strategy": {"Fixed": 10 ** 8}}}, "it sets padding"),
        ({"post_processor": {"type": "TemplateProcessing"}}, "it sets post_processor"),
        ({"model": {"type": "WordPiece", "vocab": {"<pad>": 0, "a": 1, "##a": 2}, "unk_token": "a",
                    "max_input_chars_per_word": 10 ** 9}}, "its model is 'WordPiece'; this app runs word-level"),
        ({"model": {"type": "BPE", "dropout": 0.5, "vocab": {}, "merges": []}}, "its model is 'BPE'"),
        ({"model": {"type": "WordLevel", "vocab": {"<pad>": 0, "a": 1}, "unk_token": "[UNK]"}},
         "its unknown token '[UNK]' is not in its vocabulary"),
        ({"model": {"type": "WordLevel", "vocab": {"the": 0, "<pad>": 1, "<unk>": 2}, "unk_token": "<unk>"}},
         "it does not give <pad> the id 0"),
    ]:
        assert problem in unsafe_part({**ours, **crafted}), crafted


def test_a_missing_or_broken_tokenizer_is_a_clear_error(tmp_path):
    from rnn_demo.hub import ModelLoadError
    from rnn_demo.sentiment.tokenizer import load_tokenizer

    with pytest.raises(ModelLoadError, match="has no tokenizer.json: a sentiment model needs its tokenizer"):
        load_tokenizer(tmp_path)
    (tmp_path / "tokenizer.json").write_text('{"version": "1.0", "model": ')
    with pytest.raises(ModelLoadError, match="tokenizer.json cannot be read: "):
        load_tokenizer(tmp_path)


def test_the_strongest_words_are_named_with_their_shares_for_a_reader_without_the_colours():
    from rnn_demo.sentiment.words import strongest_words

    spans = [("The", -0.2), (" ", None), ("acting", 0.1), (" ", None), ("the", -0.3), (" ", None), ("well-made", 1.0),
             (" ", None), ("dull", -0.5), (" ", None), ("x" * 50, 0.001), ("!", 0.0)]
    assert strongest_words(spans, ["negative", "positive"], shown=2) == (
        "Words that pushed most (each one's credit, the strongest word's 1): towards *positive*: “well\\-made” (+1.00), "
        "“acting” (+0.10); towards *negative*: “dull” (−0.50), “the” (−0.30).")  # a word once, at its strongest
    assert strongest_words([("<b>", -1.0)], ["bad", "ok"]) == ("Words that pushed most (each one's credit, the "
                                                               "strongest word's 1): towards *bad*: “\\<b\\>” (−1.00).")
    assert "x" * 30 + "…" in strongest_words([("x" * 50, 1.0)], ["negative", "positive"])
    assert strongest_words([("fine", 0.001), (" ", None)], ["negative", "positive"]) is None
