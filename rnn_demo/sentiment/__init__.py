"""Sentiment: a recurrent classifier of movie reviews that shows which words drove its decision."""
