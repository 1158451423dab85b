// WS_KEEPALIVE_SECONDS: how often a WebSocket is pinged (graphql-ws drops one
// that answers none within as long again); e2e/ws-send-buffer.test.ts shows
// a client that answers none dropped.
import { ConfigError, loadConfig } from '../../src/config/config';

describe('WS_KEEPALIVE_SECONDS', () => {
  it('is 12 s unless set; 5-300 seconds, anything else refused naming the variable', () => {
    expect(loadConfig({}).wsKeepAliveSeconds).toBe(12);
    expect(loadConfig({ WS_KEEPALIVE_SECONDS: '300' }).wsKeepAliveSeconds).toBe(300);
    for (const bad of ['0', '4', '301', '1.5', 'soon'])
      expect(() => loadConfig({ WS_KEEPALIVE_SECONDS: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ WS_KEEPALIVE_SECONDS: '0' })).toThrow(/WS_KEEPALIVE_SECONDS/);
  });
});
