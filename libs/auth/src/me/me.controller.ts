import { CurrentPrincipal, RequireScopes, type Principal } from '@orderops/access';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MeResponse } from './me.response.js';

/**
 * Who am I: any valid token, whatever its scopes, learns what the service took it for.
 * Answered from the verified token alone (no lookup), so it says nothing the token does not.
 */
@ApiTags('oauth')
@Controller('me')
export class MeController {
  @Get()
  @RequireScopes()
  @ApiOperation({ summary: 'The calling principal: id, kind, client and scopes' })
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentPrincipal() principal: Principal): MeResponse {
    return Object.assign(new MeResponse(), {
      id: principal.id,
      kind: principal.type,
      clientId: principal.clientId,
      scopes: [...principal.scopes],
    });
  }
}
