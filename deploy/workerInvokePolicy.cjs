// The worker task role's Lambda rights, for serverless.yml: LambdaInvokeNode may call only the
// functions listed in WORKER_INVOKABLE_FUNCTIONS (comma-separated ARNs or names, `*` patterns
// allowed; default none), and never a FireFlow function of any stage.
module.exports = () => {
  const listed = (process.env.WORKER_INVOKABLE_FUNCTIONS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const arnOf = (entry) => (entry.startsWith('arn:') ? entry : { 'Fn::Sub': `arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${entry}` });
  return [
    ...(listed.length === 0 ? [] : [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: listed.map(arnOf) }]),
    { Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:*:*:function:fireflow-*' },
  ];
};
