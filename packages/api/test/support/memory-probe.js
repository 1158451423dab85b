// The built server (dist/cli/serve.js) in a process that can also say how
// many ArrayBuffer bytes it holds alive: on 'start' it samples every 10 ms
// after a full collection (run with --expose-gc), on 'stop' it answers the
// baseline and the peak. Dead buffers waiting for the collector are not
// counted; what a transfer keeps reachable is.
/* eslint-disable no-undef */
let timer;
let base = 0;
let peak = 0;
const live = () => {
  global.gc();
  return process.memoryUsage().arrayBuffers;
};
process.on('message', (m) => {
  if (m === 'start') {
    base = live();
    peak = base;
    timer = setInterval(() => {
      peak = Math.max(peak, live());
    }, 10);
    process.send({ started: true });
  } else if (m === 'stop') {
    clearInterval(timer);
    peak = Math.max(peak, live());
    process.send({ base, peak });
  }
});
require('../../dist/cli/serve.js');
