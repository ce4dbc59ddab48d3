/* LTI client-side platform storage: the lti.put_data / lti.get_data postMessages
   (https://www.imsglobal.org/spec/lti-cs-pm/v0p1, https://www.imsglobal.org/spec/lti-pm-s/v0p1).
   Messages go to the frame the platform named in lti_storage_target ("_parent" is the parent window,
   any other name a frame of the parent, e.g. Canvas "post_message_forwarding"; a tool opened in a new
   window talks to its opener), with targetOrigin = the OIDC authorization URL's origin, never "*".
   A response counts only if it comes from that window and origin, has subject "<subject>.response" and
   our message_id; errors arrive as {error: {code, message}}; no answer before the timeout is an error too. */
var ltiStorage = (function () {
  "use strict";
  function targetWindow(name) {
    var host = window.parent !== window ? window.parent : window.opener;
    if (!host || !name) { return null; }
    if (name === "_parent") { return host; }
    try { return host.frames[name] || null; } catch (e) { return null; }
  }
  function newMessageId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function send(config, message, done) {
    var frame = targetWindow(config.target);
    if (!frame) { done({code: "no_frame", message: "the LMS storage frame " + config.target + " is not there"}); return; }
    var finished = false;
    var timer = null;
    function finish(error, data) {
      if (finished) { return; }
      finished = true;
      window.removeEventListener("message", onMessage);
      clearTimeout(timer);
      done(error, data);
    }
    function onMessage(event) {
      var data = event.data;
      if (event.source !== frame || event.origin !== config.origin || !data || typeof data !== "object" ||
          data.subject !== message.subject + ".response" || data.message_id !== message.message_id) { return; }
      if (data.error) {
        finish({code: String(data.error.code || "error"), message: String(data.error.message || "")});
      } else {
        finish(null, data);
      }
    }
    message.message_id = newMessageId();
    window.addEventListener("message", onMessage);
    timer = setTimeout(function () { finish({code: "timeout", message: "no answer"}); }, config.timeout);
    try { frame.postMessage(message, config.origin); } catch (e) { finish({code: "post_failed", message: String(e)}); }
  }
  return {
    put: function (config, value, done) { send(config, {subject: "lti.put_data", key: config.key, value: value}, done); },
    get: function (config, done) { send(config, {subject: "lti.get_data", key: config.key}, done); }
  };
})();
/* The storage settings the page carries; the key is "state-<state>" (Canvas and lti-cs-oidc recommend it). */
function ltiStorageConfig() {
  "use strict";
  function read(id) { return JSON.parse(document.getElementById(id).textContent); }
  return {target: read("lti-target"), origin: read("lti-origin"), key: "state-" + read("lti-state"),
          timeout: read("lti-timeout")};
}
/* Say what went wrong and offer the new-window launch (first-party cookies there). */
function ltiStorageFallback(text) {
  "use strict";
  document.getElementById("working").hidden = true;
  document.getElementById("reason").textContent = text;
  document.getElementById("fallback").hidden = false;
}
