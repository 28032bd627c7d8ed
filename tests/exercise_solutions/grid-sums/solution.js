const lines = require('fs').readFileSync(0, 'utf8').split('\n');
const [r, c] = lines[0].trim().split(/\s+/).map(Number);
const rowSums = new Array(r).fill(0);
const colSums = new Array(c).fill(0);
for (let i = 0; i < r; i++) {
  const row = lines[i + 1].trim().split(/\s+/).map(Number);
  for (let j = 0; j < c; j++) {
    rowSums[i] += row[j];
    colSums[j] += row[j];
  }
}
console.log(rowSums.join(' '));
console.log(colSums.join(' '));
