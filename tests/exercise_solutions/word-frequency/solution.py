import re
import sys

counts = {}
for word in re.findall(r"[a-z]+", sys.stdin.read().lower()):
    counts[word] = counts.get(word, 0) + 1

best = min(counts, key=lambda w: (-counts[w], w))
print(best, counts[best])
