// xorshift32, the generator the reference README seeds inputs with: every
// seeded case in the tests (random models, frames, API requests) comes from it,
// so a seed names the same case on every run and engine.
export class XorShift32 {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  next(): number {
    let s = this.state;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    this.state = s >>> 0;
    return this.state;
  }
}
