import { anthropicMessagesApi } from './anthropic-messages-api.js';
import { chatCompletionsApi } from './chat-completions-api.js';
import { runModelApiConformance } from './model-api-conformance.js';
import { responsesApi } from './responses-api.js';

runModelApiConformance(chatCompletionsApi, { tokens: 'ids and logprobs' });
runModelApiConformance(responsesApi, { tokens: 'logprobs' });
runModelApiConformance(anthropicMessagesApi, { tokens: 'none' });
