import { CurrentPrincipal, RequireScopes, type Principal } from '@orderops/access';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@orderops/core';
import { OperatorsOnlyError } from '../auth.errors.js';
import { OperatorsService } from '../operators/operators.service.js';

/** The claims UserInfo returns: the same identity an ID token carries, nothing more. */
export class UserinfoResponse {
  @ApiProperty({
    example: '3f2c1a9e-8d4b-4c7a-9e1f-2b3c4d5e6f70',
    description: 'the operator id (an ID token’s sub)',
  })
  sub!: string;

  @ApiProperty({ example: 'alice', description: 'the operator’s username' })
  preferred_username!: string;
}

/**
 * OpenID Connect Core §5.3 UserInfo for frontends: who the bearer token's operator is. A
 * client token (client credentials) names no end-user, so it is refused.
 */
@ApiTags('oauth')
@Controller('oauth')
export class UserinfoController {
  constructor(private readonly operators: OperatorsService) {}

  @Get('userinfo')
  @RequireScopes()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'OpenID Connect UserInfo: the signed-in operator (sub, preferred_username)' })
  @ApiOkResponse({ type: UserinfoResponse })
  @ApiProblems({ 403: 'operators-only: a client token names no end-user' })
  async userinfo(@CurrentPrincipal() principal: Principal): Promise<UserinfoResponse> {
    if (principal.type !== 'operator') throw new OperatorsOnlyError();
    // The token check already refused tokens of disabled or unknown operators.
    const operator = await this.operators.find(principal.id);
    if (!operator) throw new OperatorsOnlyError();
    return Object.assign(new UserinfoResponse(), { sub: operator.id, preferred_username: operator.username });
  }
}
