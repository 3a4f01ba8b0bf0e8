// A synthetic KVScheduler graph in the form of `/scheduler/graph?format=raw`, shaped as
// the example descriptors' values: 30 % interfaces, 10 % bridge domains of 3 members,
// 20 % derived addresses of interfaces, the rest FIB entries, of which 1 in 20 PENDING on
// a bridge domain that does not exist. For the graph bench and the layout test.

const state = (v) => ({ name: 'value-state', value: v });
const descriptor = (d) => ({ name: 'descriptor', value: d });
const now = new Date().toISOString();

/** `n` records as `/scheduler/graph?format=raw` answers. */
export function records(n) {
  const out = [];
  const add = (key, d, s, targets, extra = []) => out.push({
    since: now, until: null, txnSeq: 1, key, value: { name: key.split('/').pop() },
    flags: [state(s), descriptor(d), ...extra], targets,
  });
  const ifaces = Math.max(1, Math.round(n * 0.3));
  const bds = Math.max(1, Math.round(n * 0.1));
  const derived = Math.round(n * 0.2);
  const fibs = Math.max(0, n - ifaces - bds - derived);
  const iface = (i) => `config/vpp/v2/interfaces/tap${i}`;
  const bd = (i) => `config/vpp/l2/v2/bridge-domain/bd${i}`;
  for (let i = 0; i < ifaces; i += 1) {
    const derives = i < derived ? [{ relation: 'derives', label: `address${i}`, keys: [`vpp/interface/tap${i}/address/10.0.${i >> 8}.${i & 255}`] }] : [];
    add(iface(i), 'vpp-interface', 'CONFIGURED', derives);
  }
  for (let i = 0; i < derived; i += 1) {
    add(`vpp/interface/tap${i}/address/10.0.${i >> 8}.${i & 255}`, 'vpp-interface-address', 'CONFIGURED', [], [{ name: 'derived', value: '' }]);
  }
  for (let i = 0; i < bds; i += 1) {
    const members = [0, 1, 2].map((j) => iface((i * 3 + j) % ifaces));
    add(bd(i), 'vpp-bridge-domain', 'CONFIGURED', members.map((k) => ({ relation: 'depends-on', label: 'bridged-interface', keys: [k] })));
  }
  for (let i = 0; i < fibs; i += 1) {
    const pending = i % 20 === 0;
    const b = pending ? `config/vpp/l2/v2/bridge-domain/missing${i}` : bd(i % bds);
    add(`config/vpp/l2/v2/fib/bd${i % bds}/mac/02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      'vpp-fib', pending ? 'PENDING' : 'CONFIGURED', [
        { relation: 'depends-on', label: 'bridge-domain', keys: [b] },
        { relation: 'depends-on', label: 'bridged-interface', keys: [iface(i % ifaces)] },
      ]);
  }
  return out;
}
