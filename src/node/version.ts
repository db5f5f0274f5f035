// Warren's own version (kept equal to package.json's by a unit test) and the RabbitMQ release
// whose behaviour it reproduces.

export const WARREN_VERSION = '0.1.0';
export const RABBITMQ_COMPAT_VERSION = '3.10.8';
