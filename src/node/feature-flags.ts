// The RabbitMQ 3.10 feature flags that describe data formats and behaviours Warren implements.
// stream_queue is absent: Warren has no stream queues.

export interface FeatureFlag {
  name: string;
  desc: string;
  docUrl: string;
  providedBy: string;
}

export const FEATURE_FLAGS: FeatureFlag[] = [
  {
    name: 'classic_mirrored_queue_version',
    desc: 'Support setting version for classic mirrored queues',
    docUrl: '',
    providedBy: 'rabbit',
  },
  {
    name: 'implicit_default_bindings',
    desc: 'Default bindings are now implicit, instead of being stored in the database',
    docUrl: '',
    providedBy: 'rabbit',
  },
  { name: 'maintenance_mode_status', desc: 'Maintenance mode status', docUrl: '', providedBy: 'rabbit' },
  {
    name: 'quorum_queue',
    desc: 'Support queues of type `quorum`',
    docUrl: 'https://www.rabbitmq.com/quorum-queues.html',
    providedBy: 'rabbit',
  },
  { name: 'user_limits', desc: 'Configure connection and channel limits for a user', docUrl: '', providedBy: 'rabbit' },
  {
    name: 'virtual_host_metadata',
    desc: 'Virtual host metadata (description, tags, etc)',
    docUrl: '',
    providedBy: 'rabbit',
  },
];
