import { exit, mov, pluginSection, R0 } from '@ts-ebpf/dsl';
import { xdpPlugin } from '@ts-ebpf/dsl-xdp';
import { AttachError, BpfProgType, loadedPrograms } from '@ts-ebpf/programs';
import { describeKernel, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { DefinitionError, defineProgram, ScriptError, script } from '../src/index.js';

const TCX = { kind: 'tcx', interface: 'lo', direction: 'ingress' } as const;

/** True when a program of this kernel name is loaded (by any process). */
const isLoaded = (name: string) => {
  for (const p of loadedPrograms()) if (p.name === name) return true;
  return false;
};

/** Checks a refusal of an XDP program given a tcx attach: the kind, the program and both types named. */
function expectKindRefusal(e: unknown, program: string): void {
  expect(e).toBeInstanceOf(DefinitionError);
  expect((e as DefinitionError).field).toBe('attach.kind');
  expect((e as Error).message).toContain(`program '${program}'`);
  expect((e as Error).message).toMatch(
    /'tcx' \(attachTcx\) cannot attach the program: .*has type XDP; this attach point takes SCHED_CLS programs/,
  );
  expect((e as Error).cause).toBeInstanceOf(AttachError);
}

describeKernel('macros: a program the attach kind does not take is refused before anything is loaded', () => {
  it('defineProgram refuses an XDP program (type or plugin section) declared with a tcx attach', () => {
    const build = () => [mov(R0, 2), exit()];
    expectKindRefusal(
      thrownBy(() => defineProgram({ name: 'akind_type', type: BpfProgType.XDP, build, attach: TCX })),
      'akind_type',
    );
    expectKindRefusal(
      thrownBy(() =>
        defineProgram({ name: 'akind_section', plugin: xdpPlugin, section: 'xdp', build, attach: TCX }),
      ),
      'akind_section',
    );
  });

  it('script refuses a tcx attach given for an XDP program before it builds or loads anything', () => {
    const built: string[] = [];
    const bad = defineProgram({
      name: 'akind_bad',
      type: BpfProgType.XDP,
      build: () => {
        built.push('bad');
        return [mov(R0, 2), exit()];
      },
    });
    const after = defineProgram({
      name: 'akind_after',
      type: BpfProgType.SCHED_CLS,
      build: () => {
        built.push(isLoaded('akind_bad') ? 'after, with akind_bad loaded' : 'after');
        return [mov(R0, 0), exit()];
      },
    });
    const fds = openFds().size;
    const e = thrownBy(() => script({ programs: { bad, after }, attach: { bad: TCX } }));
    expectKindRefusal(e, 'bad');
    expect((e as DefinitionError).subject).toBe("script attach of program 'bad'");
    expect(built).toEqual([]);
    expect(openFds().size).toBe(fds);
  });

  it('a program whose type only build tells is checked once every program is built, before any is loaded', () => {
    let firstWasLoaded: boolean | undefined;
    const first = defineProgram({
      name: 'akind_first',
      type: BpfProgType.SCHED_CLS,
      build: () => [mov(R0, 0), exit()],
    });
    const bad = defineProgram({
      name: 'akind_built',
      build: () => {
        firstWasLoaded = isLoaded('akind_first');
        return pluginSection(xdpPlugin, 'xdp').build(pluginSection(xdpPlugin, 'xdp').ret('XDP_PASS'));
      },
      attach: TCX,
    });
    const fds = openFds().size;
    const e = thrownBy(() => script({ programs: { first, bad } }));
    expect(e).toBeInstanceOf(ScriptError);
    expect((e as ScriptError).step).toBe("load program 'bad'");
    expectKindRefusal((e as ScriptError).cause, 'akind_built');
    expect(firstWasLoaded).toBe(false);
    expect(isLoaded('akind_first')).toBe(false);
    expect(openFds().size).toBe(fds);
  });
});
