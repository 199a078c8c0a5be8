import { PassThrough, Writable } from 'node:stream';

import { execInContainer } from '@vkubelet/provider-kit/mock';
import type { WebSocket } from 'ws';
import { errorMessage } from '@vkubelet/provider-kit';

import type { AllocRunner } from '../client/alloc-runner.js';
import { booleanParam, query, type RequestContext } from './context.js';
import { HttpError } from './errors.js';

/*
 * `GET /v1/client/allocation/<id>/exec` as a WebSocket, in the api module's frames
 * (api.ExecStreamingInput / ExecStreamingOutput):
 *   in:  {"stdin":{"data":"<base64>"}}, {"stdin":{"close":true}}, {"tty_size":{"height":H,"width":W}}, {}
 *   out: {"stdout":{"data":"<base64>"}}, {"stderr":{"data":"<base64>"}}, {} (heartbeat),
 *        {"exited":true,"result":{"exit_code":N}} then a normal close.
 * Errors after the upgrade close the socket with the message as its reason (1008 for a refused
 * request, 1011 for a failure), which the api module returns as the error text.
 */

const HEARTBEAT_MS = 10_000;
const POLICY_VIOLATION = 1008;
const INTERNAL_ERROR = 1011;

export interface ExecRequest {
  task: string;
  command: string[];
  tty: boolean;
}

/** Checks the query before the upgrade: a malformed request is a plain 400. */
export function parseExecRequest(ctx: RequestContext): ExecRequest {
  const task = query(ctx, 'task');
  if (!task) throw new HttpError(400, 'missing task parameter');
  const raw = query(ctx, 'command');
  if (!raw) throw new HttpError(400, 'missing command parameter');
  let command: unknown;
  try {
    command = JSON.parse(raw);
  } catch {
    throw new HttpError(400, `failed to parse command: ${raw}`);
  }
  if (!Array.isArray(command) || command.length === 0 || command.some(word => typeof word !== 'string')) {
    throw new HttpError(400, 'command is not a list of strings');
  }
  return { task, command: command as string[], tty: booleanParam(ctx, 'tty') };
}

function frame(socket: WebSocket, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.readyState !== socket.OPEN) {
      reject(new Error('exec session closed'));
      return;
    }
    socket.send(JSON.stringify(body), err => (err ? reject(err) : resolve()));
  });
}

function output(socket: WebSocket, stream: 'stdout' | 'stderr'): Writable {
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      frame(socket, { [stream]: { data: Buffer.from(chunk).toString('base64') } }).then(
        () => callback(),
        callback,
      );
    },
  });
  // A client that hangs up mid-output is not an error of the emulator.
  writable.on('error', () => undefined);
  return writable;
}

/** Resolves once everything written to `writable` went out as frames (or could not). */
function drained(writable: Writable): Promise<void> {
  return new Promise(resolve => {
    if (writable.writableFinished || writable.destroyed) return resolve();
    writable.once('finish', () => resolve());
    writable.once('error', () => resolve());
    writable.end();
  });
}

/** Runs one exec session on an upgraded socket: the command through the task's process model. */
export async function runExec(
  socket: WebSocket,
  runner: AllocRunner,
  request: ExecRequest,
  allowed: boolean,
): Promise<void> {
  const fail = (code: number, message: string) => socket.close(code, message.slice(0, 120));
  if (!allowed) return fail(POLICY_VIOLATION, 'Permission denied');
  if (!runner.logs.has(request.task)) return fail(POLICY_VIOLATION, `unknown task name "${request.task}"`);
  const run = runner.running(request.task);
  if (!run || !runner.runtime) return fail(POLICY_VIOLATION, `task "${request.task}" is not running`);

  const session = new AbortController();
  const signal = AbortSignal.any([session.signal, runner.runtime.signal]);
  const stdin = new PassThrough();
  socket.on('message', (data: Buffer) => {
    let message: { stdin?: { data?: string; close?: boolean } };
    try {
      message = JSON.parse(data.toString('utf8')) as typeof message;
    } catch {
      return fail(POLICY_VIOLATION, 'failed to decode input frame');
    }
    if (message.stdin?.data) stdin.write(Buffer.from(message.stdin.data, 'base64'));
    if (message.stdin?.close) stdin.end();
    // tty_size and heartbeats need no answer: the process model has no terminal to resize.
  });
  socket.on('close', () => {
    session.abort();
    stdin.end();
  });
  const heartbeat = setInterval(() => void frame(socket, {}).catch(() => undefined), HEARTBEAT_MS);
  try {
    const stdout = output(socket, 'stdout');
    const stderr = output(socket, 'stderr');
    const exitCode = await execInContainer(
      run,
      request.command,
      { stdin, stdout, stderr, tty: request.tty },
      signal,
    );
    // The exit frame comes after the last output frame, as the api module expects.
    await Promise.all([drained(stdout), drained(stderr)]);
    await frame(socket, { exited: true, result: { exit_code: exitCode } });
    socket.close(1000);
  } catch (err) {
    if (!session.signal.aborted) fail(INTERNAL_ERROR, errorMessage(err));
  } finally {
    clearInterval(heartbeat);
  }
}
