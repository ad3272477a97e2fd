# Generated from infra/cdktf/stack.ts (EbpfAgentStack) by scripts/gen-terraform.ts. Do not edit:
# change the stack or the spec and regenerate.

terraform {
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.38.0, < 3.0.0"
    }
  }

}

resource "kubernetes_namespace_v1" "namespace" {
  metadata {
    labels = {
      "app.kubernetes.io/name"             = "socktap"
      "app.kubernetes.io/instance"         = "socktap"
      "app.kubernetes.io/component"        = "ebpf-agent"
      "app.kubernetes.io/part-of"          = "socktap"
      "app.kubernetes.io/version"          = "0.1.0"
      "pod-security.kubernetes.io/enforce" = "privileged"
      traceableai-mirror                   = "disabled"
    }
    name = var.namespace
  }
}

resource "kubernetes_service_account_v1" "service_account" {
  metadata {
    labels = {
      "app.kubernetes.io/name"      = "socktap"
      "app.kubernetes.io/instance"  = "socktap"
      "app.kubernetes.io/component" = "ebpf-agent"
      "app.kubernetes.io/part-of"   = "socktap"
      "app.kubernetes.io/version"   = "0.1.0"
    }
    name      = "socktap"
    namespace = kubernetes_namespace_v1.namespace.metadata[0].name
  }
}

resource "kubernetes_cluster_role_v1" "cluster_role" {
  metadata {
    labels = {
      "app.kubernetes.io/name"      = "socktap"
      "app.kubernetes.io/instance"  = "socktap"
      "app.kubernetes.io/component" = "ebpf-agent"
      "app.kubernetes.io/part-of"   = "socktap"
      "app.kubernetes.io/version"   = "0.1.0"
    }
    name = "socktap"
  }
  rule {
    api_groups = [
      ""
    ]
    resources = [
      "pods",
      "namespaces",
      "services"
    ]
    verbs = [
      "get",
      "list",
      "watch"
    ]
  }
}

resource "kubernetes_cluster_role_binding_v1" "cluster_role_binding" {
  metadata {
    labels = {
      "app.kubernetes.io/name"      = "socktap"
      "app.kubernetes.io/instance"  = "socktap"
      "app.kubernetes.io/component" = "ebpf-agent"
      "app.kubernetes.io/part-of"   = "socktap"
      "app.kubernetes.io/version"   = "0.1.0"
    }
    name = "socktap"
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = kubernetes_cluster_role_v1.cluster_role.metadata[0].name
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.service_account.metadata[0].name
    namespace = kubernetes_namespace_v1.namespace.metadata[0].name
  }
}

resource "kubernetes_config_map_v1" "config_map" {
  data = {
    "config.yaml" = <<EOF
# socktap agent config, rendered from the deployment options (infra/spec)
log_level: info
proc_fs_path: /hostproc
unix_domain_socket_addr: /var/log/sock/eve.json
perfmap_queue_size: 1024
uds_event_queue_size: 10000
probe_event_queue_size: 50000
capture_all_namespaces: ${var.daemon_set_mirroring_enabled ? (var.daemon_set_mirror_all_namespaces ? "true\nk8s_enabled: true" : "false\nk8s_enabled: true") : ("false\nk8s_enabled: false")}
mirror_namespace_label: traceableai-mirror
mirror_pod_enabled_annotation: mirror.traceable.ai/enabled
mirror_pod_mode_annotation: mirror.traceable.ai/mode
mirror_namespace_mode_annotation: mirror.traceable.ai/defaultMode
mode: ingress
log_format: text
max_body_bytes: 65536
decode_content: false
tls_capture: true
fast_path: true
redact_headers:
  - Authorization
  - Proxy-Authorization
  - Cookie
  - Set-Cookie
  - X-Api-Key
  - X-Auth-Token
  - X-Access-Token
  - X-Refresh-Token
  - X-Csrf-Token
  - X-Xsrf-Token
  - X-Amz-Security-Token
exporters:
  uds:
    enabled: true
    listen: false
  stdout:
    enabled: false
    format: jsonl
  otlp:
    enabled: false
    endpoint: http://localhost:4318
    headers: {}
  har:
    enabled: false
stats_interval: 1m
metrics_addr: 0.0.0.0:9464
targets:
  pids: []
  comms: []
  ports: []

EOF
  }
  metadata {
    labels = {
      "app.kubernetes.io/name"      = "socktap"
      "app.kubernetes.io/instance"  = "socktap"
      "app.kubernetes.io/component" = "ebpf-agent"
      "app.kubernetes.io/part-of"   = "socktap"
      "app.kubernetes.io/version"   = "0.1.0"
    }
    name      = "socktap-config"
    namespace = kubernetes_namespace_v1.namespace.metadata[0].name
  }
}

resource "kubernetes_secret_v1" "secret" {
  data = {
    token = "${var.token}"
  }
  type = "Opaque"
  metadata {
    labels = {
      "app.kubernetes.io/name"      = "socktap"
      "app.kubernetes.io/instance"  = "socktap"
      "app.kubernetes.io/component" = "ebpf-agent"
      "app.kubernetes.io/part-of"   = "socktap"
      "app.kubernetes.io/version"   = "0.1.0"
    }
    name      = "socktap-token"
    namespace = kubernetes_namespace_v1.namespace.metadata[0].name
  }
}

resource "kubernetes_daemon_set_v1" "daemon_set" {
  metadata {
    labels = {
      "app.kubernetes.io/name"      = "socktap"
      "app.kubernetes.io/instance"  = "socktap"
      "app.kubernetes.io/component" = "ebpf-agent"
      "app.kubernetes.io/part-of"   = "socktap"
      "app.kubernetes.io/version"   = "0.1.0"
    }
    name      = "socktap"
    namespace = kubernetes_namespace_v1.namespace.metadata[0].name
  }
  spec {
    selector {
      match_labels = {
        "app.kubernetes.io/name"     = "socktap"
        "app.kubernetes.io/instance" = "socktap"
      }
    }
    strategy {
      type = "RollingUpdate"
      rolling_update {
        max_surge       = "0"
        max_unavailable = "1"
      }
    }
    template {
      metadata {
        annotations = {
          "socktap.dev/config-hash" = "${var.daemon_set_mirroring_enabled ? (var.daemon_set_mirror_all_namespaces ? "7c31ba96" : "ae9bfcaf") : ("8e3a23f0")}"
        }
        labels = {
          "app.kubernetes.io/name"      = "socktap"
          "app.kubernetes.io/instance"  = "socktap"
          "app.kubernetes.io/component" = "ebpf-agent"
          "app.kubernetes.io/part-of"   = "socktap"
          "app.kubernetes.io/version"   = "0.1.0"
        }
      }
      spec {
        host_pid                         = false
        service_account_name             = kubernetes_service_account_v1.service_account.metadata[0].name
        termination_grace_period_seconds = 30
        affinity {
          node_affinity {
            required_during_scheduling_ignored_during_execution {
              node_selector_term {
                match_expressions {
                  key      = "kubernetes.io/os"
                  operator = "In"
                  values = [
                    "linux"
                  ]
                }
                match_expressions {
                  key      = "node-role.kubernetes.io/control-plane"
                  operator = "DoesNotExist"
                }
                match_expressions {
                  key      = "node-role.kubernetes.io/master"
                  operator = "DoesNotExist"
                }
              }
            }
          }
        }
        container {
          args = [
            "run",
            "--config",
            "/etc/socktap/config.yaml"
          ]
          image             = var.image
          image_pull_policy = "IfNotPresent"
          name              = "agent"
          env {
            name = "NODE_NAME"
            value_from {
              field_ref {
                field_path = "spec.nodeName"
              }
            }
          }
          env {
            name = "SOCKTAP_ACCESS_TOKEN"
            value_from {
              secret_key_ref {
                key  = "token"
                name = kubernetes_secret_v1.secret.metadata[0].name
              }
            }
          }
          env {
            name  = "SOCKTAP_ENVIRONMENT"
            value = var.environment
          }
          env {
            name  = "SOCKTAP_MIRROR_NAMESPACE_LABEL"
            value = "traceableai-mirror"
          }
          env {
            name  = "SOCKTAP_MIRROR_POD_ENABLED_ANNOTATION"
            value = "mirror.traceable.ai/enabled"
          }
          env {
            name  = "SOCKTAP_MIRROR_POD_MODE_ANNOTATION"
            value = "mirror.traceable.ai/mode"
          }
          env {
            name  = "SOCKTAP_MIRROR_NAMESPACE_MODE_ANNOTATION"
            value = "mirror.traceable.ai/defaultMode"
          }
          liveness_probe {
            failure_threshold     = 3
            initial_delay_seconds = 10
            period_seconds        = 10
            timeout_seconds       = 2
            http_get {
              path = "/healthz"
              port = "metrics"
            }
          }
          port {
            container_port = 9464
            name           = "metrics"
            protocol       = "TCP"
          }
          readiness_probe {
            failure_threshold     = 3
            initial_delay_seconds = 2
            period_seconds        = 5
            timeout_seconds       = 2
            http_get {
              path = "/readyz"
              port = "metrics"
            }
          }
          resources {
            limits = {
              cpu    = "1"
              memory = "512Mi"
            }
            requests = {
              cpu    = "100m"
              memory = "128Mi"
            }
          }
          security_context {
            allow_privilege_escalation = false
            privileged                 = false
            read_only_root_filesystem  = true
            run_as_user                = 0
            capabilities {
              add = [
                "BPF",
                "PERFMON",
                "SYS_ADMIN",
                "SYS_PTRACE",
                "SYS_RESOURCE",
                "DAC_READ_SEARCH"
              ]
              drop = [
                "ALL"
              ]
            }
          }
          volume_mount {
            mount_path = "/etc/socktap"
            name       = "config"
            read_only  = true
          }
          volume_mount {
            mount_path = "/hostproc"
            name       = "host-proc"
            read_only  = true
          }
          volume_mount {
            mount_path = "/sys/kernel/tracing"
            name       = "tracefs"
            read_only  = true
          }
          volume_mount {
            mount_path = "/sys/kernel/debug"
            name       = "debugfs"
            read_only  = true
          }
          volume_mount {
            mount_path = "/sys/fs/cgroup"
            name       = "cgroup"
            read_only  = true
          }
          volume_mount {
            mount_path = "/sys/kernel/btf"
            name       = "btf"
            read_only  = true
          }
          volume_mount {
            mount_path = "/var/lib/socktap/btf"
            name       = "btf-cache"
            read_only  = false
          }
          volume_mount {
            mount_path = "/tmp"
            name       = "tmp"
            read_only  = false
          }
          volume_mount {
            mount_path = "/var/log/sock"
            name       = "socket-dir"
            read_only  = false
          }
        }
        toleration {
          operator = "Exists"
        }
        volume {
          name = "config"
          config_map {
            name = kubernetes_config_map_v1.config_map.metadata[0].name
          }
        }
        volume {
          name = "host-proc"
          host_path {
            path = "/proc"
            type = "Directory"
          }
        }
        volume {
          name = "tracefs"
          host_path {
            path = "/sys/kernel/tracing"
          }
        }
        volume {
          name = "debugfs"
          host_path {
            path = "/sys/kernel/debug"
          }
        }
        volume {
          name = "cgroup"
          host_path {
            path = "/sys/fs/cgroup"
          }
        }
        volume {
          name = "btf"
          host_path {
            path = "/sys/kernel/btf"
          }
        }
        volume {
          name = "btf-cache"
          empty_dir {
            size_limit = "64Mi"
          }
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "64Mi"
          }
        }
        volume {
          name = "socket-dir"
          host_path {
            path = "/var/log/sock"
            type = "DirectoryOrCreate"
          }
        }
      }
    }
  }
  count = var.ebpf_run_as_privileged ? 0 : 1
}

resource "kubernetes_daemon_set_v1" "daemon_set_when_ebpf_run_as_privileged" {
  metadata {
    labels = {
      "app.kubernetes.io/name"      = "socktap"
      "app.kubernetes.io/instance"  = "socktap"
      "app.kubernetes.io/component" = "ebpf-agent"
      "app.kubernetes.io/part-of"   = "socktap"
      "app.kubernetes.io/version"   = "0.1.0"
    }
    name      = "socktap"
    namespace = kubernetes_namespace_v1.namespace.metadata[0].name
  }
  spec {
    selector {
      match_labels = {
        "app.kubernetes.io/name"     = "socktap"
        "app.kubernetes.io/instance" = "socktap"
      }
    }
    strategy {
      type = "RollingUpdate"
      rolling_update {
        max_surge       = "0"
        max_unavailable = "1"
      }
    }
    template {
      metadata {
        annotations = {
          "socktap.dev/config-hash" = "${var.daemon_set_mirroring_enabled ? (var.daemon_set_mirror_all_namespaces ? "7c31ba96" : "ae9bfcaf") : ("8e3a23f0")}"
        }
        labels = {
          "app.kubernetes.io/name"      = "socktap"
          "app.kubernetes.io/instance"  = "socktap"
          "app.kubernetes.io/component" = "ebpf-agent"
          "app.kubernetes.io/part-of"   = "socktap"
          "app.kubernetes.io/version"   = "0.1.0"
        }
      }
      spec {
        host_pid                         = false
        service_account_name             = kubernetes_service_account_v1.service_account.metadata[0].name
        termination_grace_period_seconds = 30
        affinity {
          node_affinity {
            required_during_scheduling_ignored_during_execution {
              node_selector_term {
                match_expressions {
                  key      = "kubernetes.io/os"
                  operator = "In"
                  values = [
                    "linux"
                  ]
                }
                match_expressions {
                  key      = "node-role.kubernetes.io/control-plane"
                  operator = "DoesNotExist"
                }
                match_expressions {
                  key      = "node-role.kubernetes.io/master"
                  operator = "DoesNotExist"
                }
              }
            }
          }
        }
        container {
          args = [
            "run",
            "--config",
            "/etc/socktap/config.yaml"
          ]
          image             = var.image
          image_pull_policy = "IfNotPresent"
          name              = "agent"
          env {
            name = "NODE_NAME"
            value_from {
              field_ref {
                field_path = "spec.nodeName"
              }
            }
          }
          env {
            name = "SOCKTAP_ACCESS_TOKEN"
            value_from {
              secret_key_ref {
                key  = "token"
                name = kubernetes_secret_v1.secret.metadata[0].name
              }
            }
          }
          env {
            name  = "SOCKTAP_ENVIRONMENT"
            value = var.environment
          }
          env {
            name  = "SOCKTAP_MIRROR_NAMESPACE_LABEL"
            value = "traceableai-mirror"
          }
          env {
            name  = "SOCKTAP_MIRROR_POD_ENABLED_ANNOTATION"
            value = "mirror.traceable.ai/enabled"
          }
          env {
            name  = "SOCKTAP_MIRROR_POD_MODE_ANNOTATION"
            value = "mirror.traceable.ai/mode"
          }
          env {
            name  = "SOCKTAP_MIRROR_NAMESPACE_MODE_ANNOTATION"
            value = "mirror.traceable.ai/defaultMode"
          }
          liveness_probe {
            failure_threshold     = 3
            initial_delay_seconds = 10
            period_seconds        = 10
            timeout_seconds       = 2
            http_get {
              path = "/healthz"
              port = "metrics"
            }
          }
          port {
            container_port = 9464
            name           = "metrics"
            protocol       = "TCP"
          }
          readiness_probe {
            failure_threshold     = 3
            initial_delay_seconds = 2
            period_seconds        = 5
            timeout_seconds       = 2
            http_get {
              path = "/readyz"
              port = "metrics"
            }
          }
          resources {
            limits = {
              cpu    = "1"
              memory = "512Mi"
            }
            requests = {
              cpu    = "100m"
              memory = "128Mi"
            }
          }
          security_context {
            privileged                = true
            read_only_root_filesystem = true
            run_as_user               = 0
          }
          volume_mount {
            mount_path = "/etc/socktap"
            name       = "config"
            read_only  = true
          }
          volume_mount {
            mount_path = "/hostproc"
            name       = "host-proc"
            read_only  = true
          }
          volume_mount {
            mount_path = "/sys/kernel/tracing"
            name       = "tracefs"
            read_only  = true
          }
          volume_mount {
            mount_path = "/sys/kernel/debug"
            name       = "debugfs"
            read_only  = true
          }
          volume_mount {
            mount_path = "/sys/fs/cgroup"
            name       = "cgroup"
            read_only  = true
          }
          volume_mount {
            mount_path = "/sys/kernel/btf"
            name       = "btf"
            read_only  = true
          }
          volume_mount {
            mount_path = "/var/lib/socktap/btf"
            name       = "btf-cache"
            read_only  = false
          }
          volume_mount {
            mount_path = "/tmp"
            name       = "tmp"
            read_only  = false
          }
          volume_mount {
            mount_path = "/var/log/sock"
            name       = "socket-dir"
            read_only  = false
          }
        }
        toleration {
          operator = "Exists"
        }
        volume {
          name = "config"
          config_map {
            name = kubernetes_config_map_v1.config_map.metadata[0].name
          }
        }
        volume {
          name = "host-proc"
          host_path {
            path = "/proc"
            type = "Directory"
          }
        }
        volume {
          name = "tracefs"
          host_path {
            path = "/sys/kernel/tracing"
          }
        }
        volume {
          name = "debugfs"
          host_path {
            path = "/sys/kernel/debug"
          }
        }
        volume {
          name = "cgroup"
          host_path {
            path = "/sys/fs/cgroup"
          }
        }
        volume {
          name = "btf"
          host_path {
            path = "/sys/kernel/btf"
          }
        }
        volume {
          name = "btf-cache"
          empty_dir {
            size_limit = "64Mi"
          }
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "64Mi"
          }
        }
        volume {
          name = "socket-dir"
          host_path {
            path = "/var/log/sock"
            type = "DirectoryOrCreate"
          }
        }
      }
    }
  }
  count = var.ebpf_run_as_privileged ? 1 : 0
}
