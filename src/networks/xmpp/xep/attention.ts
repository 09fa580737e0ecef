// Attention (XEP-0224): asks the recipient's client to get their attention.
// Sent as a headline, which servers never archive or deliver late.
import { xml } from '@xmpp/client';
import { NS } from '../ns.ts';

export const attention = (to: string, id: string) => xml('message', { type: 'headline', to, id }, xml('attention', { xmlns: NS.attention }));
