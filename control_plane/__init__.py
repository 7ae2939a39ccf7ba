"""The control plane: configurations, remote actions, the connector handshake, the PC key,
licence status, notifications, support tickets, audit. Every change is a command on the control
topic, projected into ClickHouse like the rest of the pipeline."""
