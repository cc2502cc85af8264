// test/helpers/raw-http.ts: one HTTP request with the path sent byte-for-byte (fetch would re-encode raw '"' in a query).
import http from 'node:http';
import zlib from 'node:zlib';

export interface RawRequest {
  method: string;
  /** Absolute path plus query, sent exactly as given. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RawResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  text: string;
  /** The parsed body, or undefined when the body is empty or not JSON. */
  json: unknown;
  isJson: boolean;
}

function decode(buffer: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
      return zlib.gunzipSync(buffer);
    case 'deflate':
      return zlib.inflateSync(buffer);
    case 'br':
      return zlib.brotliDecompressSync(buffer);
    default:
      return buffer;
  }
}

export function sendRaw(origin: URL, request: RawRequest): Promise<RawResponse> {
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const headers: Record<string, string> = { ...request.headers };
  if (body) headers['Content-Length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: origin.hostname, port: origin.port, method: request.method, path: request.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          try {
            const text = decode(Buffer.concat(chunks), res.headers['content-encoding']).toString('utf8');
            const flat: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers))
              if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
            let json: unknown;
            let isJson = false;
            if (text.trim() !== '') {
              try {
                json = JSON.parse(text) as unknown;
                isJson = true;
              } catch {
                json = undefined;
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: flat, text, json, isJson });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
