// NCALayer, the signing application on the user's own computer (R13): one sign request over
// its WebSocket (module kz.gov.pki.knca.basics, method sign, format xml). Used by the public
// pages (participate.js) and the back office (office.js).
(function () {
  "use strict";
  window.AshyqNcaLayer = {
    // options: lang, extKeyUsageOids, messages {ncalayer_unavailable, ncalayer_error, cancelled, failed}
    sign: function (address, xml, options) {
      var T = options.messages;
      return new Promise(function (resolve, reject) {
        var socket, settled = false;
        function fail(code, message) {
          if (settled) return;
          settled = true;
          try { socket.close(); } catch (e) { /* already closed */ }
          var error = new Error(message || T[code] || T.failed);
          error.code = code;
          reject(error);
        }
        try { socket = new WebSocket(address); } catch (e) { fail("ncalayer_unavailable"); return; }
        socket.onerror = function () { fail("ncalayer_unavailable"); };
        socket.onclose = function () { fail("ncalayer_unavailable"); };
        socket.onopen = function () {
          socket.send(JSON.stringify({
            module: "kz.gov.pki.knca.basics",
            method: "sign",
            args: {
              allowedStorages: null,
              format: "xml",
              data: xml,
              signingParams: {},
              signerParams: { extKeyUsageOids: options.extKeyUsageOids },
              locale: options.lang === "kk" ? "kk" : "ru"
            }
          }));
        };
        socket.onmessage = function (event) {
          var message;
          try { message = JSON.parse(event.data); } catch (e) { fail("ncalayer_error"); return; }
          if (message.result && message.result.version) return; // greeting of older versions
          if (message.status === true && message.body && message.body.result) {
            settled = true;
            socket.close();
            var result = message.body.result;
            resolve(Array.isArray(result) ? result[0] : result);
          } else if (message.status === true) {
            fail("cancelled");
          } else {
            fail("ncalayer_error", T.ncalayer_error + " " + (message.message || message.code || ""));
          }
        };
      });
    }
  };
})();
