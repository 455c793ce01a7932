import { request, type ClientRequest } from 'node:http';

export interface UploadResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** An order-file upload over a real socket whose bytes the test hands out one by one. */
export interface SlowUpload {
  /** Sends `text` now (one chunk of a chunked body). */
  send(text: string): Promise<void>;
  /** Sends `text` every `everyMs` until stop() or finish(). */
  trickle(text: string, everyMs: number): void;
  /** Sends the last bytes and ends the body. */
  finish(text?: string): Promise<void>;
  /** Breaks the connection off, as a client that goes away. */
  destroy(): void;
  /** The answer, whenever the server gives it (before the body has ended, too). */
  readonly response: Promise<UploadResponse>;
}

/** Waits for `promise` at most `ms` (a bound against hanging, not a timing assertion). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function slowUpload(baseUrl: string, token: string, headers: Record<string, string> = {}): SlowUpload {
  let trickler: NodeJS.Timeout | undefined;
  let answered = false;
  const req: ClientRequest = request(`${baseUrl}/orders/imports?allowDuplicate=true`, {
    method: 'POST',
    agent: false,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', ...headers },
  });
  const response = new Promise<UploadResponse>((resolve, reject) => {
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    // After an early answer the server closes the connection under the unsent body.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
  });
  // Unobserved until the test awaits it; a rejection must not go unhandled before then.
  response.catch(() => undefined);
  req.flushHeaders();
  const stop = (): void => clearInterval(trickler);
  const send = (text: string): Promise<void> =>
    new Promise((resolve) => {
      if (req.destroyed || req.writableEnded) resolve();
      else req.write(text, () => resolve());
    });
  return {
    send,
    trickle: (text, everyMs) => {
      stop();
      trickler = setInterval(() => void send(text), everyMs);
    },
    finish: async (text = '') => {
      stop();
      if (text !== '') await send(text);
      await new Promise<void>((resolve) => req.end(() => resolve()));
    },
    destroy: () => {
      stop();
      req.destroy();
    },
    response,
  };
}
