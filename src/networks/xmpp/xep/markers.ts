// Chat Markers (XEP-0333), Message Delivery Receipts (XEP-0184) and Chat State
// Notifications (XEP-0085).
import { xml, type XmlElement } from '@xmpp/client';
import { NS } from '../ns.ts';

export const markable = () => xml('markable', { xmlns: NS.markers });
export const displayed = (id: string) => xml('displayed', { xmlns: NS.markers, id });
export const receiptRequest = () => xml('request', { xmlns: NS.receipts });
export const receiptReceived = (id: string) => xml('received', { xmlns: NS.receipts, id });

export interface Markers {
  markable: boolean;
  displayed?: string;
  received?: string; // chat marker 'received'
  acknowledged?: string;
  receiptRequest: boolean;
  receiptFor?: string; // XEP-0184 <received id>
}

export function parseMarkers(message: XmlElement): Markers {
  return {
    markable: !!message.getChild('markable', NS.markers),
    displayed: message.getChild('displayed', NS.markers)?.attrs.id,
    received: message.getChild('received', NS.markers)?.attrs.id,
    acknowledged: message.getChild('acknowledged', NS.markers)?.attrs.id,
    receiptRequest: !!message.getChild('request', NS.receipts),
    receiptFor: message.getChild('received', NS.receipts)?.attrs.id,
  };
}

export type ChatState = 'active' | 'composing' | 'paused' | 'inactive' | 'gone';
const STATES: ChatState[] = ['active', 'composing', 'paused', 'inactive', 'gone'];

export const chatState = (state: ChatState) => xml(state, { xmlns: NS.chatStates });

export function parseChatState(message: XmlElement): ChatState | undefined {
  return STATES.find((s) => message.getChild(s, NS.chatStates));
}
