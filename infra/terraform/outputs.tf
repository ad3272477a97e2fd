# Generated from infra/cdktf/stack.ts (EbpfAgentStack) by scripts/gen-terraform.ts. Do not edit:
# change the stack or the spec and regenerate.

output "namespace_name" {
  value       = kubernetes_namespace_v1.namespace.metadata[0].name
  description = "Namespace the agent runs in."
}

output "daemon_set_name" {
  value       = "socktap"
  description = "Name of the agent DaemonSet."
}

output "config_map_name" {
  value       = kubernetes_config_map_v1.config_map.metadata[0].name
  description = "Name of the agent ConfigMap."
}

output "service_account_name" {
  value       = kubernetes_service_account_v1.service_account.metadata[0].name
  description = "Name of the agent's ServiceAccount."
}
