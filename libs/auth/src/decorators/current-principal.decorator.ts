export { CurrentPrincipal } from '@orderops/core';
