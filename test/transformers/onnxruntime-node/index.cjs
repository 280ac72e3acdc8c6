// transformers.js requires onnxruntime-node in Node; onnxruntime-web's Node build has the same API.
module.exports = require("onnxruntime-web");
