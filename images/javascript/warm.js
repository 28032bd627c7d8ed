'use strict';
// The warm JavaScript runtime's pause (see "Warm runtimes" in images/README.md).
//
// The warm runtime is the fresh command with this file preloaded:
// `node --max-old-space-size=<heap> -r /opt/codex/warm.js /tmp/main.js`, started before
// /tmp/main.js exists. Node is up when this runs; it waits for the runner's request on fd 3,
// adds the program's arguments to process.argv, says `run` on fd 4, removes its own traces
// (the module cache entry, `-r` in execArgv) and returns. Node then loads /tmp/main.js as
// the main module exactly as a fresh node would, so stack traces, require.main, exit codes and
// signals are the fresh ones by construction.
const fs = require('fs');

function decline() {
  process.exit(70); // no `run`: the runner goes on without the warm runtime
}

function readExactly(size) {
  const data = Buffer.alloc(size);
  for (let at = 0; at < size; ) {
    const n = fs.readSync(3, data, at, size - at, null);
    if (n === 0) decline();
    at += n;
  }
  return data;
}

function number() {
  let digits = '';
  for (let byte; (byte = readExactly(1).toString('latin1')) !== '\n'; ) {
    digits += byte;
    if (!/^[0-9]{1,20}$/.test(digits)) decline();
  }
  if (digits === '') decline();
  return Number(digits);
}

fs.writeSync(4, 'ready\n');
const request = [];
for (let count = number(); count > 0; count--) request.push(readExactly(number()).toString('utf8'));
const [file, ...args] = request;
if (file !== process.argv[1]) decline(); // not the file this runtime was started for
process.argv.push(...args);
const preload = process.execArgv.indexOf('-r');
if (preload >= 0 && process.execArgv[preload + 1] === __filename) {
  process.execArgv.splice(preload, 2);
}
delete require.cache[__filename];
fs.writeSync(4, 'run\n');
if (readExactly(3).toString('latin1') !== 'go\n') decline(); // the runner's `run` marker is out
fs.closeSync(3);
fs.closeSync(4);
