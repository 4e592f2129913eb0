// The reference's conversation and presence page APIs, Promise-based as documented:
//
//   Microsoft.CIFramework.getPresence()                     -> Promise of the agent's presence text ("FAILED" if unknown)
//   Microsoft.CIFramework.setPresence(presenceText)         -> Promise of true (rejects for an unknown text)
//   Microsoft.Omnichannel.getConversationId()               -> Promise of the focused session's conversation id (or null)
//   Microsoft.Omnichannel.getConversations(input, corrId)   -> Promise of conversations ({agentId, status: [..]})
//   Microsoft.Omnichannel.openConversation(id, lastSessionId, liveworkstreamId) -> Promise (the session id)
//   Microsoft.Omnichannel.linkToConversation(entityLogicalName, recordId, conversationId?)     -> Promise
//   Microsoft.Omnichannel.unlinkFromConversation(entityLogicalName, recordId, conversationId?) -> Promise
//   Microsoft.Omnichannel.sendMessageToConversation(message, toSendBox = true, conversationId?) -> Promise
//
// Everything crosses to Python on the Microsoft.Apm bridge (web/py/components/conversations.py, install_api);
// refusals reject with Microsoft.Apm.ApmError. Calls made before the engine is up wait for it.

const { callAsync } = window.Microsoft.Apm._internal;
const opt = (value) => (value === undefined ? null : value);

window.Microsoft.CIFramework = Object.assign(window.Microsoft.CIFramework || {}, {
  getPresence: () => callAsync("ci.getPresence"),
  setPresence: (presenceText) => callAsync("ci.setPresence", presenceText),
});

window.Microsoft.Omnichannel = Object.assign(window.Microsoft.Omnichannel || {}, {
  getConversationId: () => callAsync("oc.getConversationId"),
  getConversations: (input, correlationId) => callAsync("oc.getConversations", opt(input), opt(correlationId)),
  openConversation: (conversationId, lastSessionId, liveworkstreamId) =>
    callAsync("oc.openConversation", opt(conversationId), opt(lastSessionId), opt(liveworkstreamId)),
  linkToConversation: (entityLogicalName, recordId, conversationId) =>
    callAsync("oc.linkToConversation", opt(entityLogicalName), opt(recordId), opt(conversationId)),
  unlinkFromConversation: (entityLogicalName, recordId, conversationId) =>
    callAsync("oc.unlinkFromConversation", opt(entityLogicalName), opt(recordId), opt(conversationId)),
  sendMessageToConversation: (message, toSendBox = true, conversationId) =>
    callAsync("oc.sendMessageToConversation", opt(message), toSendBox !== false, opt(conversationId)),
});
