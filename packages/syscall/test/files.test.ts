import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BadFileDescriptorError,
  BpfArgumentError,
  close,
  fileOpen,
  fileRead,
  fileReadAll,
  fileWrite,
  fileWriteAll,
  NotFoundError,
  O,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('file operations', () => {
  it('open with O_CREAT|O_EXCL, write, reopen and read', () => {
    const path = join(dir, 'a.txt');
    const fd = fileOpen(path, O.O_WRONLY | O.O_CREAT | O.O_EXCL, 0o600);
    expect(fileWrite(fd, 'hello ')).toBe(6);
    expect(fileWrite(fd, new Uint8Array([0x77, 0x6f, 0x72, 0x6c, 0x64]))).toBe(5);
    close(fd);
    expect(readFileSync(path, 'utf8')).toBe('hello world');
    expect(() => fileOpen(path, O.O_WRONLY | O.O_CREAT | O.O_EXCL)).toThrow(/EEXIST/);
    const rd = fileOpen(path);
    expect(new TextDecoder().decode(fileRead(rd, 5))).toBe('hello');
    expect(new TextDecoder().decode(fileRead(rd, 100))).toBe(' world');
    expect(fileRead(rd, 100).byteLength).toBe(0);
    close(rd);
  });

  it('appends with O_APPEND and truncates with O_TRUNC', () => {
    const path = join(dir, 'b.txt');
    writeFileSync(path, 'abc');
    const fd = fileOpen(path, O.O_WRONLY | O.O_APPEND);
    fileWrite(fd, 'def');
    close(fd);
    expect(readFileSync(path, 'utf8')).toBe('abcdef');
    close(fileOpen(path, O.O_WRONLY | O.O_TRUNC));
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('reads /dev/zero and whole special files', () => {
    const fd = fileOpen('/dev/zero');
    const zeros = fileRead(fd, 4096);
    close(fd);
    expect(zeros.byteLength).toBe(4096);
    expect(zeros.every((b) => b === 0)).toBe(true);
    const possible = new TextDecoder().decode(fileReadAll('/sys/devices/system/cpu/possible'));
    expect(possible).toBe(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
    const random = fileOpen('/dev/urandom');
    expect(fileRead(random, 32).some((b) => b !== 0)).toBe(true);
    close(random);
  });

  it('writes and reads whole binary files', () => {
    const path = join(dir, 'bin');
    const data = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    fileWriteAll(path, data);
    expect(Buffer.from(fileReadAll(path)).equals(Buffer.from(data))).toBe(true);
    fileWriteAll(path, 'short');
    expect(readFileSync(path, 'utf8')).toBe('short');
  });

  it('reports errno with context and rejects bad input before the call', () => {
    expect(() => fileOpen(join(dir, 'missing'))).toThrow(NotFoundError);
    expect(() => fileOpen(join(dir, 'missing'))).toThrow(/openat failed: ENOENT.*missing/);
    expect(() => fileOpen('bad\0path')).toThrow(BpfArgumentError);
    expect(() => fileRead(-3, 1)).toThrow(BpfArgumentError);
    const fd = fileOpen('/dev/null');
    close(fd);
    expect(() => fileRead(fd, 1)).toThrow(BadFileDescriptorError);
    expect(() => close(fd)).toThrow(BadFileDescriptorError);
  });

  it('has per-architecture O_* values', () => {
    expect(O.O_CREAT).toBe(0o100);
    expect(O.O_CLOEXEC).toBe(0o2000000);
    if (process.arch === 'x64') expect(O.O_DIRECTORY).toBe(0o200000);
  });
});
