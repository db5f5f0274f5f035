// AMQP URIs as RabbitMQ documents them (https://www.rabbitmq.com/uri-spec.html):
// amqp://user:pass@host:port/vhost, every part optional, percent-encoded, so the default vhost
// "/" is written %2F. An empty or absent path is the default vhost, as in PerfTest and the Java
// client. amqps (TLS) is not supported: the load generator measures the broker, not TLS.

export interface AmqpUri {
  host: string;
  port: number;
  user: string;
  password: string;
  vhost: string;
}

export class UriError extends Error {}

export function parseAmqpUri(text: string): AmqpUri {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UriError(`not an AMQP URI: ${text}`);
  }
  if (url.protocol === 'amqps:') throw new UriError('amqps:// (TLS) is not supported');
  if (url.protocol !== 'amqp:') throw new UriError(`not an AMQP URI (amqp://...): ${text}`);
  const path = url.pathname.replace(/^\//, '');
  if (path.includes('/')) throw new UriError(`a vhost in a URI is one path segment (write / as %2F): ${text}`);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: url.port === '' ? 5672 : Number(url.port),
    user: url.username === '' ? 'guest' : decodeURIComponent(url.username),
    password: url.password === '' && url.username === '' ? 'guest' : decodeURIComponent(url.password),
    vhost: path === '' ? '/' : decodeURIComponent(path),
  };
}

/** The URI for messages and JSON, without the password. */
export function displayUri(u: AmqpUri): string {
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  const vhost = u.vhost === '/' ? '' : encodeURIComponent(u.vhost);
  return `amqp://${encodeURIComponent(u.user)}@${host}:${u.port}/${vhost}`;
}
