const lines = require('fs').readFileSync(0, 'utf8').split('\n');
const n = parseInt(lines[0], 10);
const values = lines[1].trim().split(/\s+/).map(Number).slice(0, n);
const result = [];
let best = -Infinity;
for (const x of values) {
  best = Math.max(best, x);
  result.push(best);
}
console.log(result.join(' '));
