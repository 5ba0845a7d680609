"""The Slack adapter on slack-bolt's async app: Socket Mode or HTTP events in, Block Kit out."""
