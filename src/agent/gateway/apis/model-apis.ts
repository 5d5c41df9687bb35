// The APIs the gateway serves, by name and by route.
import type { ApiName } from '../gateway-wire.js';
import { anthropicMessagesApi } from './anthropic-messages-api.js';
import { chatCompletionsApi } from './chat-completions-api.js';
import type { ModelApi } from './model-api.js';
import { responsesApi } from './responses-api.js';

export const MODEL_APIS: readonly ModelApi[] = [chatCompletionsApi, responsesApi, anthropicMessagesApi];

export function modelApi(name: ApiName): ModelApi {
  const api = MODEL_APIS.find((a) => a.name === name);
  if (api === undefined) throw new Error(`no model API ${name}`);
  return api;
}

/** The API whose clients call this path, for the shape of an error answer; OpenAI's by default. */
export function apiOfPath(path: string): ModelApi {
  return path.startsWith(anthropicMessagesApi.path) ? anthropicMessagesApi : chatCompletionsApi;
}
