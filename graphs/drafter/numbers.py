"""Numbers in words, both ways: reading "twenty-four" in a message and writing "two (2) years" in a
draft."""

from __future__ import annotations

UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """``24`` → ``twenty-four``, for 0–999 (the range a term in months can sensibly take)."""
    if n < 20:
        return UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return TENS[tens - 2] + (f"-{UNITS[unit]}" if unit else "")
    hundreds, rest = divmod(n, 100)
    return f"{UNITS[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")


#: Number words the extractor reads: "zero" … "ninety-nine", hyphenated or not ("twenty four").
WORD_NUMBERS: dict[str, int] = {number_words(n): n for n in range(100)}
WORD_NUMBERS.update({words.replace("-", " "): n for words, n in list(WORD_NUMBERS.items())})
