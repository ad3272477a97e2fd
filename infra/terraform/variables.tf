# Generated from infra/cdktf/stack.ts (EbpfAgentStack) by scripts/gen-terraform.ts. Do not edit:
# change the stack or the spec and regenerate.

variable "token" {
  description = "Access token; stored in a Kubernetes Secret, never in the ConfigMap."
  type        = string
  sensitive   = true
}

variable "environment" {
  description = "Environment name the agent reports its data under."
  type        = string
}

variable "namespace" {
  default     = "socktap"
  description = "Namespace the agent runs in (created, labelled pod-security enforce=privileged)."
  type        = string
}

variable "image" {
  default     = "ghcr.io/socktap/socktap:0.1.0"
  description = "Agent image."
  type        = string
}

variable "daemon_set_mirroring_enabled" {
  default     = true
  description = "Capture pods by the mirroring rules (namespace labels, pod annotations)."
  type        = bool
}

variable "daemon_set_mirror_all_namespaces" {
  description = "Capture in every namespace not labelled traceableai-mirror=disabled."
  type        = bool
  validation {
    error_message = "daemon_set_mirroring_enabled = false with daemon_set_mirror_all_namespaces = true is not a valid combination: mirroring.allNamespaces must be false when mirroring.enabled is false (nothing is mirrored then), got true."
    condition     = !(!var.daemon_set_mirroring_enabled && var.daemon_set_mirror_all_namespaces)
  }
  default = false
}

variable "ebpf_run_as_privileged" {
  default     = true
  description = "Run the agent privileged; false: unprivileged with the BPF, PERFMON, SYS_ADMIN, SYS_PTRACE, SYS_RESOURCE, DAC_READ_SEARCH capabilities."
  type        = bool
}
