/**
 * Imported first by the local entry points (`npm start`, and the services the tests and the bench
 * start), before any AWS SDK client exists. The SDK warns once per process when Node.js is older
 * than 22 (NodeVersionSupportWarning). A local run on Node.js 20 is expected: the functions run on
 * Node.js 22 in AWS, and the banner says so. So the warning is turned off the way the SDK documents,
 * AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true (aws/aws-sdk-js-v3#7983); setting the
 * variable to anything else in the shell brings it back.
 */
if (!process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
