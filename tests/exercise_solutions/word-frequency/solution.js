const text = require('fs').readFileSync(0, 'utf8');
const counts = new Map();
for (const word of text.toLowerCase().match(/[a-z]+/g) || []) {
  counts.set(word, (counts.get(word) || 0) + 1);
}
let bestWord = null;
let bestCount = 0;
for (const [word, count] of counts) {
  if (count > bestCount || (count === bestCount && word < bestWord)) {
    bestWord = word;
    bestCount = count;
  }
}
console.log(bestWord + ' ' + bestCount);
