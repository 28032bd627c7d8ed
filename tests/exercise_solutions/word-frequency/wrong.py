# Wrong: on a tie, keeps the word seen first instead of the alphabetically first one.
import re
import sys
from collections import Counter

counts = Counter(w.lower() for w in re.findall(r"[A-Za-z]+", sys.stdin.read()))
word, count = counts.most_common(1)[0]
print(word, count)
