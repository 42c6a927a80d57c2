"""Numbers in words, both ways: ``24`` ↔ ``twenty-four``."""

from __future__ import annotations

_ONES = [
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
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """``24`` → ``twenty-four`` (0–999)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else "")
    rest = n % 100
    return f"{_ONES[n // 100]} hundred" + (f" {number_words(rest)}" if rest else "")


#: Words for amounts people write in durations ("twenty-four", "twenty four", "a", "half a").
WORD_NUMBERS: dict[str, float] = {number_words(n): n for n in range(100)}
WORD_NUMBERS.update({w.replace("-", " "): n for w, n in list(WORD_NUMBERS.items()) if "-" in w})
WORD_NUMBERS.update({"a": 1, "an": 1, "one and a half": 1.5, "a half": 0.5, "half a": 0.5})
