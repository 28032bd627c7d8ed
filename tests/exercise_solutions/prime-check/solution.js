function isPrime(n) {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) {
    if (n % d === 0) return false;
  }
  return true;
}

const lines = require('fs').readFileSync(0, 'utf8').split('\n');
const t = parseInt(lines[0], 10);
const out = [];
for (let i = 1; i <= t; i++) {
  out.push(isPrime(parseInt(lines[i], 10)) ? 'prime' : 'not prime');
}
console.log(out.join('\n'));
