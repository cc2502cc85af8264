// test/unit/runtime/process-output.test.ts: the output tail kept for error messages (pure).
import { expect } from 'chai';
import { OutputTail } from '../../../runtime/process-output';

describe('OutputTail', function () {
  it('keeps the last lines', function () {
    const tail = new OutputTail(2);
    expect(tail.format()).to.equal('  (no output)');
    for (const line of ['a', 'b', 'c']) tail.push(line);
    expect(tail.format()).to.equal('  | b\n  | c');
  });

  it("keeps a Go panic's message when its stack has pushed it out of the tail", function () {
    const tail = new OutputTail(3);
    tail.push('starting');
    tail.push('panic: sql: database is locked');
    tail.push('');
    tail.push('goroutine 1 [running]:');
    tail.push('main.main()');
    for (let i = 0; i < 10; i += 1) tail.push(`\tframe ${i}`);
    expect(tail.format().split('\n')).to.deep.equal([
      '  | panic: sql: database is locked',
      '  | ',
      '  | goroutine 1 [running]:',
      '  | main.main()',
      '  | …',
      '  | \tframe 7',
      '  | \tframe 8',
      '  | \tframe 9',
    ]);
  });

  it('shows the panic once while the tail still holds it', function () {
    const tail = new OutputTail(5);
    for (const line of ['panic: boom', 'goroutine 1 [running]:']) tail.push(line);
    expect(tail.format()).to.equal('  | panic: boom\n  | goroutine 1 [running]:');
  });
});
