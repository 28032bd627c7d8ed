const line = require('fs').readFileSync(0, 'utf8').split('\n')[0];
const letters = line.replace(/[^A-Za-z]/g, '').toLowerCase();
const reversed = letters.split('').reverse().join('');
console.log(letters === reversed ? 'yes' : 'no');
