// Health check of the compose "mongo" service, run by mongosh every few seconds:
// initiates the one-member replica set rs0 on first boot, then reports healthy only once this node is the
// writable primary (so that services which depend on it never meet "not primary" at start).
try {
  rs.status();
} catch (error) {
  if (error.codeName !== "NotYetInitialized") {
    throw error;
  }
  // The member's host is the compose service name: the services connect to it as mongo:27017.
  rs.initiate({ _id: "rs0", members: [{ _id: 0, host: "mongo:27017" }] });
}
if (!db.hello().isWritablePrimary) {
  quit(1);
}
