"""The merged switchboard: call context, operator actions over AMI, and messages."""
