const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\s+/).map(Number);
let x = a;
let y = b;
while (y !== 0) {
  [x, y] = [y, x % y];
}
console.log(x);
console.log((a / x) * b);
