# socktap from plain Terraform: the module in infra/terraform (generated from the CDKTF stack).
#   terraform init && terraform apply -var token=<access token>

terraform {
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.38.0, < 3.0.0"
    }
  }
}

provider "kubernetes" {
  config_path = "~/.kube/config"
}

variable "token" {
  description = "Access token for the agent."
  type        = string
  sensitive   = true
}

module "socktap" {
  source = "../../infra/terraform"

  token                            = var.token
  environment                      = "production"
  daemon_set_mirror_all_namespaces = true
  ebpf_run_as_privileged           = false
}

output "socktap_daemon_set" {
  value = module.socktap.daemon_set_name
}

output "socktap_namespace" {
  value = module.socktap.namespace_name
}
