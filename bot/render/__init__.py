"""One renderer per target: each turns a handlers.reply.Reply into what its platform shows."""
