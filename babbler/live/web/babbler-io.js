// AudioWorklet of the babbler live page: cuts the microphone into 20 ms hops for the server and plays the agent's
// audio as it arrives (a queue of samples; silence when it runs dry).
class BabblerIO extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.hop = options.processorOptions.hop;
    this.buffer = new Float32Array(this.hop);
    this.filled = 0;
    this.queue = [];
    this.offset = 0;
    this.port.onmessage = (event) => { this.queue.push(event.data); };
  }

  process(inputs, outputs) {
    const input = inputs[0] && inputs[0][0];
    if (input) {
      let i = 0;
      while (i < input.length) {
        const n = Math.min(this.hop - this.filled, input.length - i);
        this.buffer.set(input.subarray(i, i + n), this.filled);
        this.filled += n;
        i += n;
        if (this.filled === this.hop) {
          this.port.postMessage(this.buffer.slice(0));
          this.filled = 0;
        }
      }
    }
    const out = outputs[0][0];
    for (let i = 0; i < out.length; i++) {
      while (this.queue.length && this.offset >= this.queue[0].length) { this.queue.shift(); this.offset = 0; }
      out[i] = this.queue.length ? this.queue[0][this.offset++] : 0;
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    return true;
  }
}
registerProcessor("babbler-io", BabblerIO);
