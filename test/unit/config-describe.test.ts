/** The `config ...` and `system info {...}` log lines, and system facts read from fixture trees. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeConfig, describeSystem, readSystemInfo } from '../../agent/config/describe';
import { parseCpuinfo, parseMemTotalMib, parseOsRelease } from '../../agent/config/sysinfo';
import { DEFAULT_CONFIG, parseConfig } from '../../agent/config/schema';
import { createLogger } from '../../agent/log/logger';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-sysinfo-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A filesystem tree under a fresh directory: `{ 'etc/os-release': '...' }`. */
function tree(name: string, files: Readonly<Record<string, string>>, links: Readonly<Record<string, string>> = {}): string {
  const root = path.join(tmp, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  for (const [link, target] of Object.entries(links)) {
    fs.mkdirSync(path.dirname(path.join(root, link)), { recursive: true });
    fs.symlinkSync(target, path.join(root, link));
  }
  fs.mkdirSync(root, { recursive: true });
  return root;
}

const CPUINFO_X86 = [0, 1]
  .map((i) =>
    [
      `processor\t: ${i}`,
      'vendor_id\t: GenuineIntel',
      'model name\t: Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz',
      'cpu MHz\t\t: 2591.998',
      'cache size\t: 12288 KB',
      'flags\t\t: fpu vme de pse tsc msr hypervisor lahf_lm',
      '',
    ].join('\n'),
  )
  .join('\n');

const CPUINFO_ARM = ['processor\t: 0', 'BogoMIPS\t: 50.00', 'CPU implementer\t: 0x41', 'CPU part\t: 0xd0c', '', 'processor\t: 1', 'CPU part\t: 0xd0c', ''].join('\n');

describe('config line', () => {
  test("the default config in the reference's key:{value:...} form, unset keys as {}", () => {
    assert.equal(
      describeConfig(DEFAULT_CONFIG),
      'config log_level:{value:"info"} proc_fs_path:{value:"/proc"} unix_domain_socket_addr:{value:"/var/log/sock/eve.json"} ' +
        'perfmap_queue_size:{value:1024} uds_event_queue_size:{value:10000} probe_event_queue_size:{value:50000} ' +
        'capture_all_namespaces:{value:false} k8s_enabled:{value:false} mirror_namespace_label:{value:"traceableai-mirror"} ' +
        'mirror_pod_enabled_annotation:{value:"mirror.traceable.ai/enabled"} mirror_pod_mode_annotation:{value:"mirror.traceable.ai/mode"} ' +
        'mirror_namespace_mode_annotation:{value:"mirror.traceable.ai/defaultMode"} mode:{value:"ingress"} max_active_ret_probe:{} ' +
        'log_format:{value:"text"} max_body_bytes:{value:65536} decode_content:{value:false} tls_capture:{value:true} fast_path:{value:true} redact_headers:{value:["Authorization","Proxy-Authorization",' +
        '"Cookie","Set-Cookie","X-Api-Key","X-Auth-Token","X-Access-Token","X-Refresh-Token","X-Csrf-Token","X-Xsrf-Token",' +
        '"X-Amz-Security-Token"]} exporters:{uds:{enabled:{value:true} listen:{value:false}} stdout:{enabled:{value:false} ' +
        'format:{value:"jsonl"}} otlp:{enabled:{value:false} endpoint:{value:"http://localhost:4318"} headers:{value:{}}} ' +
        'har:{enabled:{value:false} path:{}}} stats_interval:{value:"1m"} metrics_addr:{} targets:{pids:{value:[]} ' +
        'comms:{value:[]} ports:{value:[]}}',
    );
  });

  test('one log line, reference keys first, as the reference logs it', () => {
    const config = parseConfig({ proc_fs_path: '/hostproc', k8s_enabled: true, mode: 'all', max_active_ret_probe: 1 });
    const chunks: string[] = [];
    createLogger({ now: () => new Date('2022-07-18T09:39:56Z'), stream: { write: (c: string) => chunks.push(c) } }).info(describeConfig(config));
    assert.equal(chunks.length, 1);
    assert.ok(
      chunks[0]?.startsWith(
        'time="2022-07-18T09:39:56Z" level=info msg="config log_level:{value:\\"info\\"} proc_fs_path:{value:\\"/hostproc\\"} ' +
          'unix_domain_socket_addr:{value:\\"/var/log/sock/eve.json\\"} perfmap_queue_size:{value:1024} uds_event_queue_size:{value:10000} ' +
          'probe_event_queue_size:{value:50000} capture_all_namespaces:{value:false} k8s_enabled:{value:true} ' +
          'mirror_namespace_label:{value:\\"traceableai-mirror\\"} mirror_pod_enabled_annotation:{value:\\"mirror.traceable.ai/enabled\\"} ' +
          'mirror_pod_mode_annotation:{value:\\"mirror.traceable.ai/mode\\"} mirror_namespace_mode_annotation:{value:\\"mirror.traceable.ai/defaultMode\\"} ' +
          'mode:{value:\\"all\\"} ' +
          'max_active_ret_probe:{value:1} ',
      ),
    );
    assert.equal(chunks[0]?.indexOf('\n'), (chunks[0]?.length ?? 0) - 1);
  });

  test('OTLP header values and URL passwords are masked', () => {
    const line = describeConfig(
      parseConfig({ exporters: { otlp: { endpoint: 'https://user:s3cret@otel.example.com:4318', headers: { 'x-api-key': 'k3y', authorization: 'Bearer t0k' } } } }),
    );
    assert.ok(line.includes('endpoint:{value:"https://user:redacted@otel.example.com:4318/"}'), line);
    assert.ok(line.includes('headers:{value:{"x-api-key":"[REDACTED]","authorization":"[REDACTED]"}}'), line);
    for (const secret of ['s3cret', 'k3y', 't0k']) assert.ok(!line.includes(secret), secret);
  });
});

describe('system info', () => {
  test('a VMware Ubuntu guest, from a fixture tree', () => {
    const root = tree(
      'vmware',
      {
        'etc/os-release': 'NAME="Ubuntu"\nVERSION="18.04.6 LTS (Bionic Beaver)"\nID=ubuntu\nPRETTY_NAME="Ubuntu 18.04.6 LTS"\nVERSION_ID="18.04"\n',
        'proc/sys/kernel/osrelease': '4.19.0-041900-generic\n',
        'proc/sys/kernel/version': '#201810221809 SMP Mon Oct 22 22:11:45 UTC 2018\n',
        'proc/cpuinfo': CPUINFO_X86,
        'proc/meminfo': 'MemTotal:        4030408 kB\nMemFree:          123456 kB\n',
        'sys/class/dmi/id/sys_vendor': 'VMware, Inc.\n',
        'sys/class/dmi/id/product_name': 'VMware Virtual Platform\n',
      },
      { 'etc/localtime': '/usr/share/zoneinfo/Europe/Berlin' },
    );
    const info = readSystemInfo({ root, machine: 'x86_64' });
    assert.deepEqual(info, {
      os: { name: 'Ubuntu 18.04.6 LTS', id: 'ubuntu', version_id: '18.04' },
      kernel: { release: '4.19.0-041900-generic', version: '#201810221809 SMP Mon Oct 22 22:11:45 UTC 2018', architecture: 'x86_64' },
      cpu: { vendor: 'GenuineIntel', model: 'Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz', threads: 2, mhz: 2592 },
      memory: { total_mib: 3936 },
      hypervisor: 'vmware',
      timezone: 'Europe/Berlin',
    });
    assert.equal(
      describeSystem(info),
      'system info {"os":{"name":"Ubuntu 18.04.6 LTS","id":"ubuntu","version_id":"18.04"},"kernel":{"release":"4.19.0-041900-generic",' +
        '"version":"#201810221809 SMP Mon Oct 22 22:11:45 UTC 2018","architecture":"x86_64"},"cpu":{"vendor":"GenuineIntel",' +
        '"model":"Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz","threads":2,"mhz":2592},"memory":{"total_mib":3936},"hypervisor":"vmware",' +
        '"timezone":"Europe/Berlin"}',
    );
  });

  test('an arm64 KVM guest: arch from the kernel, model from CPU part, timezone file, os-release under /usr/lib', () => {
    const root = tree('arm', {
      'usr/lib/os-release': "NAME='Amazon Linux'\nVERSION_ID='2023'\nID=amzn\n",
      'proc/sys/kernel/osrelease': '6.1.0\n',
      'proc/sys/kernel/arch': 'aarch64\n',
      'proc/cpuinfo': CPUINFO_ARM,
      'sys/class/dmi/id/product_name': 'KVM Virtual Machine\n',
      'etc/timezone': 'Etc/UTC\n',
    });
    const info = readSystemInfo({ root, machine: 'x86_64' });
    assert.deepEqual(info.os, { name: 'Amazon Linux', id: 'amzn', version_id: '2023' });
    assert.deepEqual(info.kernel, { release: '6.1.0', version: null, architecture: 'aarch64' });
    assert.deepEqual(info.cpu, { vendor: null, model: '0xd0c', threads: 2, mhz: null });
    assert.equal(info.memory.total_mib, null);
    assert.equal(info.hypervisor, 'kvm');
    assert.equal(info.timezone, 'Etc/UTC');
  });

  test('hypervisor: Xen from /sys/hypervisor, "unknown" from the CPU flag alone, null on bare metal', () => {
    assert.equal(readSystemInfo({ root: tree('xen', { 'sys/hypervisor/type': 'xen\n' }) }).hypervisor, 'xen');
    assert.equal(readSystemInfo({ root: tree('flag', { 'proc/cpuinfo': CPUINFO_X86 }) }).hypervisor, 'unknown');
    assert.equal(readSystemInfo({ root: tree('metal', { 'proc/cpuinfo': CPUINFO_X86.replace(/ hypervisor/g, ''), 'sys/class/dmi/id/sys_vendor': 'Dell Inc.\n' }) }).hypervisor, null);
    assert.equal(readSystemInfo({ root: tree('hyperv', { 'sys/class/dmi/id/sys_vendor': 'Microsoft Corporation\n' }) }).hypervisor, 'microsoft');
  });

  test('an empty root gives nulls, never an error', () => {
    const info = readSystemInfo({ root: tree('empty', {}), machine: 'riscv64' });
    assert.deepEqual(info, {
      os: { name: null, id: null, version_id: null },
      kernel: { release: null, version: null, architecture: 'riscv64' },
      cpu: { vendor: null, model: null, threads: 0, mhz: null },
      memory: { total_mib: null },
      hypervisor: null,
      timezone: null,
    });
  });

  test('this machine is described without throwing', () => {
    const info = readSystemInfo();
    assert.equal(info.kernel.release, os.release());
    assert.ok(info.cpu.threads >= 1);
  });

  test('parsers', () => {
    assert.deepEqual(parseOsRelease('# comment\nNAME="Debian \\"GNU\\"/Linux"\nEMPTY=\nID=debian\n  VERSION_ID="12"\nbad line\n'), {
      NAME: 'Debian "GNU"/Linux',
      EMPTY: '',
      ID: 'debian',
      VERSION_ID: '12',
    });
    assert.equal(parseMemTotalMib('MemTotal:       24684084 kB\n'), 24106);
    assert.equal(parseMemTotalMib('nothing'), null);
    assert.deepEqual(parseCpuinfo(''), { vendor: null, model: null, threads: 0, mhz: null });
  });
});
