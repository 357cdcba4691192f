// Where the page keeps things, and for how long:
// - the API key: sessionStorage only (this tab, gone when it closes; never a URL or a cookie);
// - conversations: localStorage on this device, so a reload, a lost connection or a revoked key
//   never loses them. "Forget all conversations" removes them.

const KEY = "agadir.key";
const CONVERSATIONS = "agadir.conversations";
const CURRENT = "agadir.current";
const MAX_CONVERSATIONS = 50;

export const session = {
  key() {
    return sessionStorage.getItem(KEY) ?? "";
  },
  setKey(value) {
    sessionStorage.setItem(KEY, value);
  },
  forgetKey() {
    sessionStorage.removeItem(KEY);
  },
};

function readAll() {
  try {
    const parsed = JSON.parse(localStorage.getItem(CONVERSATIONS) ?? "[]");
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class ConversationStore {
  constructor() {
    this.items = readAll();
  }

  save() {
    this.items.sort((a, b) => b.updated - a.updated);
    this.items = this.items.slice(0, MAX_CONVERSATIONS);
    try {
      localStorage.setItem(CONVERSATIONS, JSON.stringify(this.items));
    } catch {
      // quota or disabled storage: the conversation lives on in memory for this page
    }
  }

  list() {
    return [...this.items].sort((a, b) => b.updated - a.updated);
  }

  get(id) {
    return this.items.find((c) => c.id === id) ?? null;
  }

  create(model) {
    const conversation = { id: newId(), title: "", model, messages: [], updated: Date.now() };
    this.items.push(conversation);
    this.setCurrent(conversation.id);
    this.save();
    return conversation;
  }

  /** The conversation last shown, or null. */
  current() {
    return this.get(localStorage.getItem(CURRENT) ?? "");
  }

  setCurrent(id) {
    try {
      localStorage.setItem(CURRENT, id);
    } catch {
      // see save()
    }
  }

  touch(conversation) {
    conversation.updated = Date.now();
    if (!conversation.title) {
      const first = conversation.messages.find((m) => m.role === "user");
      if (first) conversation.title = first.content.slice(0, 60);
    }
    this.save();
  }

  clear() {
    this.items = [];
    localStorage.removeItem(CONVERSATIONS);
    localStorage.removeItem(CURRENT);
  }
}
